using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Tenancy;

namespace Lethe.Domain.Ingest.Steps;

/// <summary>What the ingest workflow's steps share on top of the kernel: their ports, the job's tenant and upload, the content.</summary>
public abstract class IngestStep(IngestPorts ports) : WorkflowStep<IngestState>(IngestWorkflow.Definition, ports.Jobs, ports.Audit, ports.Clock)
{
    protected IngestPorts Ports { get; } = ports;

    /// <summary>The open job, its tenant and its upload; an upload an erasure took meanwhile ends the job (<c>Lethe.UploadGone</c>).</summary>
    protected async Task<(Job Job, Tenant Tenant, Upload Upload)> OpenAsync(IngestState state, CancellationToken cancellationToken)
    {
        var job = await OpenJobAsync(state, cancellationToken);
        var tenant = await Ports.Tenants.FindAsync(job.TenantId, cancellationToken) ?? throw new JobNotActiveException($"Tenant {job.TenantId} of job {job.Id} does not exist.");
        if (tenant.State != TenantState.Active)
        {
            // An offboarding tenant takes no new data: nothing more is stored, derived or shared for it.
            throw new UploadGoneException($"Tenant {tenant.Id} is {tenant.State.ToString().ToLowerInvariant()}: upload {job.ItemId} is not processed further.");
        }

        var upload = await Ports.Uploads.FindAsync(job.TenantId, job.ItemId ?? string.Empty, cancellationToken)
            ?? throw new UploadGoneException($"Upload {job.ItemId} is no longer there (an erasure of its subject took it): nothing more is done with it.");
        return (job, tenant, upload);
    }

    protected static string KeyArn(Tenant tenant) =>
        tenant.SealingKeyArn ?? throw new InvalidOperationException($"Tenant {tenant.Id} has no key: its upload could not have been accepted.");

    /// <summary>The upload's object, normalized (a step that needs the content reads it again: the state carries none).</summary>
    protected async Task<(Transcript Transcript, byte[] Source)> NormalizedAsync(Upload upload, CancellationToken cancellationToken)
    {
        var source = await ReadAsync(upload, cancellationToken);
        return (ContentNormalizer.Normalize(upload.Declared.ContentType, source), source);
    }

    /// <summary>
    /// The stored content as a model may see it: read from its record, every speaker and detected PII value replaced by a keyed
    /// token (HMAC under a key derived from the tenant's subject-ref key). Fails closed when a detected value, or any value
    /// detected in the original, is still in the text (<c>Lethe.PseudonymizationLeak</c>).
    /// </summary>
    protected async Task<(Transcript Pseudonymized, string SourceSha256)> PseudonymizedContentAsync(Tenant tenant, string recordId, CancellationToken cancellationToken)
    {
        var record = await Ports.RecordStore.FindAsync(tenant.Id, recordId, cancellationToken)
            ?? throw new UploadGoneException($"The stored content {recordId} is no longer there (deleted or erased).");
        var fields = (await Ports.Records.OpenAsync(record, KeyArn(tenant), cancellationToken)).Fields;
        var content = ContentNormalizer.FromFields(fields.GetValueOrDefault(StoreStep.FormatField) ?? string.Empty, fields);
        var refKey = await Ports.Keys.GetOrCreateSubjectRefKeyAsync(tenant.Id, KeyArn(tenant), cancellationToken);
        using var key = refKey.Derive(IngestWorkflow.PseudonymPurpose);
        var pseudonymized = Pseudonymizer.Transcript(key.Key, content);
        var originals = content.Segments.SelectMany(s => Classification.PiiDetector.Scan(s.Text).Select(m => s.Text.Substring(m.Start, m.Length))).ToHashSet(StringComparer.Ordinal);
        foreach (var segment in pseudonymized.Segments)
        {
            if (Classification.PiiDetector.Scan(segment.Text).Count > 0 || originals.Any(o => segment.Text.Contains(o, StringComparison.OrdinalIgnoreCase)))
            {
                throw new PseudonymizationLeakException($"Segment {segment.Id} still holds a PII value after pseudonymization: it does not reach the model.");
            }
        }

        return (pseudonymized, fields.GetValueOrDefault(StoreStep.SourceHashField) ?? string.Empty);
    }

    /// <summary>
    /// Writes one record of the upload's subject under a fixed id (field-encrypted, by the ingest actor). An erasure open for
    /// the subject refuses it in the write's own transaction: <c>Lethe.UploadGone</c>, nothing of <paramref name="what"/> stored.
    /// </summary>
    protected async Task<Records.StoredRecord> StoreRecordAsync(
        Tenant tenant, Upload upload, string recordId, string category, string visibility, Dictionary<string, string?> fields, string what, CancellationToken cancellationToken)
    {
        var subjectId = await SubjectIdAsync(tenant, upload, cancellationToken);
        try
        {
            return await Ports.Records.CreateAsync(
                tenant, KeyArn(tenant), upload.SubjectRef, subjectId, new Records.RecordDraft(category, visibility, true, fields), IngestWorkflow.Actor.Sub, cancellationToken, recordId);
        }
        catch (Errors.ErasureInProgressException)
        {
            throw new UploadGoneException($"An erasure of the subject of upload {upload.Id} opened before its {what} was stored: nothing of it was stored.");
        }
    }

    /// <summary>
    /// The upload's subject id: from the subject directory, or from the upload itself (sealed under the subject's key) when the
    /// upload is the first thing the subject has. <c>Lethe.UploadGone</c> when neither knows it any more (an erasure).
    /// </summary>
    protected async Task<string> SubjectIdAsync(Tenant tenant, Upload upload, CancellationToken cancellationToken)
    {
        if (await Ports.Subjects.FindIdAsync(tenant.Id, upload.SubjectRef, cancellationToken) is { } known)
        {
            return known;
        }

        var kek = upload.SealedSubjectId is null ? null : await Ports.Keys.FindSubjectKekAsync(tenant.Id, KeyArn(tenant), upload.SubjectRef, cancellationToken);
        return kek is null
            ? throw new UploadGoneException($"The subject of upload {upload.Id} is no longer known (erased).")
            : System.Text.Encoding.UTF8.GetString(Crypto.FieldEnvelope.Open(upload.SealedSubjectId!, kek, Records.RecordService.SubjectIdContext(tenant.Id, upload.SubjectRef)));
    }

    /// <summary>One audit event of this step for the job's upload (once per job and step).</summary>
    protected Task AuditStepAsync(Job job, string step, string action, string outcome, JsonObject details, CancellationToken cancellationToken)
    {
        details["uploadId"] = job.ItemId;
        return AuditOnceAsync(job, step, action, outcome, details, cancellationToken);
    }

    private async Task<byte[]> ReadAsync(Upload upload, CancellationToken cancellationToken)
    {
        // Read one byte past the normalizer's limit at most: a larger object fails there with its size, nothing more is read.
        var limit = (long)TranscriptLimits.Default.MaxBytes + 1;
        var scanned = upload.ScannedETag ?? throw new IngestObjectChangedException($"Upload {upload.Id} names no scanned object: nothing unscanned is read.");
        await using var stream = await Ports.Objects.OpenAsync(UploadRules.ObjectKey(upload.TenantId, upload.Id), scanned, cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int read;
        while (buffer.Length < limit && (read = await stream.ReadAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, limit - buffer.Length)), cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}

/// <summary>The job's upload was taken by an erasure of its subject while it was processed.</summary>
public sealed class UploadGoneException(string message) : Errors.LetheException(message)
{
    public const string Name = "Lethe.UploadGone";

    public override string ErrorType => Name;
}
