using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Certificates;
using Lethe.Domain.Jobs;

namespace Lethe.Domain.Offboarding.Steps;

/// <summary>
/// Certify: the <c>tenant-offboarding</c> certificate from the job's own counters (what each page deleted, the final export, the
/// keys), signed over the canonical payload and written once under the job id; a replay finds it and names the same one.
/// </summary>
public sealed class CertifyStep(TenantOffboardingPorts ports) : OffboardingStep(ports)
{
    public override async Task<TenantOffboardingState> RunAsync(TenantOffboardingState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await OpenJobAsync(state, cancellationToken);
        job = await MoveAsync(job, JobTransitions.Advance(JobPhases.Shred, JobPhases.Certify, Now), cancellationToken);
        var tenant = await TenantAsync(job, cancellationToken);
        var certificate = await Ports.Certificates.FindAsync(job.TenantId, job.Id, TenantOffboardingCertificate.Type, cancellationToken);
        if (certificate is null)
        {
            var head = await Ports.Chain.ReadHeadAsync(job.TenantId, cancellationToken);
            var payload = TenantOffboardingCertificate.Payload(new TenantOffboardingFacts(
                job.TenantId, job.Id, job.CreatedAt, Now, job.Deadline ?? Now, job.Counts, job.FinalExport, job.ExportParts, job.Exported,
                TenantKeyActions.Of(tenant), tenant.ByokKey ? tenant.KeyArn : null, TenantKeyActions.PlatformKeysOf(tenant), head, Ports.Signer.KeyId));
            var signature = await Ports.Signer.SignAsync(payload, cancellationToken);
            certificate = await Ports.Certificates.PutOnceAsync(
                new SignedCertificate(DeletionCertificate.IdFor(job.Id), job.Id, job.TenantId, TenantOffboardingCertificate.Type, payload, signature, Ports.Signer.KeyId), cancellationToken);
        }

        await Jobs.TryUpdateAsync(job.TenantId, job.Id, JobTransitions.AttachCertificate(certificate.CertificateId, Now), cancellationToken);
        await AuditOnceAsync(job, "certify", "tenant-offboarding.certificate", AuditActions.Success, new JsonObject
        {
            ["certificateId"] = certificate.CertificateId,
            ["keyId"] = certificate.KeyId,
        }, cancellationToken);
        return state with { CertificateId = certificate.CertificateId, TenantKeyAction = TenantKeyActions.Of(tenant) };
    }
}
