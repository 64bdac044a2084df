using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Errors;
using Lethe.Domain.Jobs;
using Lethe.Domain.Records;

namespace Lethe.Domain.Ingest.Steps;

/// <summary>
/// Store: the normalized content becomes a record of the subject in the upload's category (field-level encrypted under the
/// subject's key, visibility <c>coach_only</c>, retention from the tenant's policy, in the inventory), with its provenance (the
/// upload id, the source's SHA-256, the file name) in its fields; the object leaves the ingest bucket. The record's id is fixed by
/// the upload, so a replay writes it once. An erasure that opened meanwhile wins (<c>Lethe.UploadGone</c>).
/// </summary>
public sealed class StoreStep(IngestPorts ports) : IngestStep(ports)
{
    public const string FileNameField = "fileName";
    public const string FormatField = "format";
    public const string UploadIdField = "uploadId";
    public const string SourceHashField = "sourceSha256";

    public override async Task<IngestState> RunAsync(IngestState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var (job, tenant, upload) = await OpenAsync(state, cancellationToken);
        var recordId = IngestWorkflow.RecordIdFor(upload.Id, "c");
        var record = await Ports.RecordStore.FindAsync(tenant.Id, recordId, cancellationToken);
        if (record is null)
        {
            var (transcript, source) = await NormalizedAsync(upload, cancellationToken);
            var fields = ContentNormalizer.ToFields(transcript).ToDictionary(f => f.Key, f => (string?)f.Value, StringComparer.Ordinal);
            fields[FileNameField] = upload.Declared.FileName;
            fields[FormatField] = transcript.Format;
            fields[UploadIdField] = upload.Id;
            fields[SourceHashField] = Convert.ToHexStringLower(SHA256.HashData(source));
            record = await StoreRecordAsync(tenant, upload, recordId, upload.Declared.Category, IngestWorkflow.ContentVisibility, fields, "content", cancellationToken);
        }

        await Ports.Uploads.TryMoveAsync(tenant.Id, upload.Id, new UploadMove([UploadStatus.Processing], UploadStatus.Processing, Now) { ItemId = record.Id }, cancellationToken);
        // Stored: the original leaves the ingest bucket (the record and its source hash are what is kept).
        await Ports.Objects.DeleteAsync(UploadRules.ObjectKey(tenant.Id, upload.Id), cancellationToken);
        job = await MoveAsync(job, JobTransitions.Advance(JobPhases.Normalize, JobPhases.Store, Now), cancellationToken);
        await AuditStepAsync(job, "store", "ingest.store", AuditActions.Success, new JsonObject
        {
            ["recordId"] = record.Id,
            ["category"] = record.Category,
            ["classification"] = record.Classification.ToString().ToLowerInvariant(),
            ["encrypted"] = record.Encrypted,
            ["retainUntil"] = AuditChain.FormatTime(record.RetainUntil),
        }, cancellationToken);
        return state with { RecordId = record.Id };
    }
}
