using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Certificates;
using Lethe.Domain.Jobs;

namespace Lethe.Domain.Retention.Steps;

/// <summary>
/// Certify: the run's <c>retention</c> certificate from the counters its pages added to the job, signed over the canonical
/// payload and written once under the job id; a replay finds it and names the same certificate.
/// </summary>
public sealed class CertifyStep(RetentionPorts ports) : RetentionStep(ports)
{
    public override async Task<RetentionSweepState> RunAsync(RetentionSweepState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await OpenJobAsync(state, cancellationToken);
        job = await MoveAsync(job, JobTransitions.Advance(JobPhases.Sweep, JobPhases.Certify, Now), cancellationToken);
        var certificate = await Ports.Certificates.FindAsync(job.TenantId, job.Id, RetentionCertificate.Type, cancellationToken)
            ?? await IssueAsync(job, cancellationToken);
        await Jobs.TryUpdateAsync(job.TenantId, job.Id, JobTransitions.AttachCertificate(certificate.CertificateId, Now), cancellationToken);
        await AuditOnceAsync(job, "certify", "retention.certificate", AuditActions.Success, new JsonObject { ["certificateId"] = certificate.CertificateId, ["keyId"] = certificate.KeyId }, cancellationToken);
        return state with { More = false, Selected = false, HandOver = false };
    }

    private async Task<SignedCertificate> IssueAsync(Job job, CancellationToken cancellationToken)
    {
        var counts = job.Counts;
        var tally = new ErasureTally(counts.Purged, counts.PurgedByCategory, counts.PurgedByStore, counts.VersionsDeleted, Restored: 0, counts.Held);
        var head = await Ports.Chain.ReadHeadAsync(job.TenantId, cancellationToken);
        var payload = RetentionCertificate.Payload(new RetentionFacts(job.TenantId, job.Id, job.CreatedAt, Now, tally, counts.Archived, counts.Failed, head, Ports.Signer.KeyId));
        var signature = await Ports.Signer.SignAsync(payload, cancellationToken);
        var certificate = new SignedCertificate(DeletionCertificate.IdFor(job.Id), job.Id, job.TenantId, RetentionCertificate.Type, payload, signature, Ports.Signer.KeyId);
        return await Ports.Certificates.PutOnceAsync(certificate, cancellationToken);
    }
}
