using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Certificates;
using Lethe.Domain.Jobs;

namespace Lethe.Domain.Erasure.Steps;

/// <summary>
/// Certify: the tally the purge pages added to the job (never an index read), signed over the canonical payload and written
/// once under the job id; a replay finds it and names the same certificate.
/// </summary>
public sealed class CertifyStep(ErasurePorts ports) : ErasureStep(ports)
{
    public override async Task<ErasureState> RunAsync(ErasureState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await OpenJobAsync(state, cancellationToken);
        await MoveAsync(job, JobTransitions.Advance(JobPhases.Shred, JobPhases.Certify, Now), cancellationToken);
        var existing = await Ports.Certificates.FindAsync(job.TenantId, job.Id, "deletion", cancellationToken);
        var certificate = existing ?? await IssueAsync(job, state.ShredMethod ?? "kek-deleted", state.ShreddedKekId ?? "none", cancellationToken);
        await Jobs.TryUpdateAsync(job.TenantId, job.Id, JobTransitions.AttachCertificate(certificate.CertificateId, Now), cancellationToken);
        await AuditOnceAsync(job, "certify", "erasure.certificate", AuditActions.Success, new JsonObject { ["certificateId"] = certificate.CertificateId, ["keyId"] = certificate.KeyId }, cancellationToken);
        return state;
    }

    private async Task<SignedCertificate> IssueAsync(Job job, string shredMethod, string kekId, CancellationToken cancellationToken)
    {
        var counts = job.Counts;
        var tally = new ErasureTally(counts.Purged, counts.PurgedByCategory, counts.PurgedByStore, counts.VersionsDeleted, counts.Restored, counts.Held)
        {
            Masked = counts.Masked,
        };
        var head = await Ports.Chain.ReadHeadAsync(job.TenantId, cancellationToken);
        var facts = new DeletionFacts(job.TenantId, job.SubjectRef, job.Id, job.CreatedAt, Now, job.Deadline ?? job.CreatedAt, job.PurgeAt ?? job.CreatedAt,
            tally, shredMethod, kekId, head, Ports.Signer.KeyId)
        {
            Connectors = await ConfirmationsAsync(job, cancellationToken),
        };
        var payload = DeletionCertificate.Payload(facts);
        var signature = await Ports.Signer.SignAsync(payload, cancellationToken);
        var certificate = new SignedCertificate(DeletionCertificate.IdFor(job.Id), job.Id, job.TenantId, "deletion", payload, signature, Ports.Signer.KeyId);
        return await Ports.Certificates.PutOnceAsync(certificate, cancellationToken);
    }

    /// <summary>The connectors that confirmed this erasure (SettleConnectors let the purge begin only once every one had).</summary>
    private async Task<IReadOnlyList<ConnectorConfirmation>> ConfirmationsAsync(Job job, CancellationToken cancellationToken) =>
        [.. (await new Connectors.ConnectorFanOut(Ports.Connectors, Ports.Tenants, "deletion").ConfirmationsAsync(job, cancellationToken))
            .Select(c => new ConnectorConfirmation(c.Connector, c.Answer!.Status, c.Answer.Items, c.Answer.At))];
}
