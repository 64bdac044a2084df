using System.Text.Json;
using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Notifications;
using Lethe.Domain.Tenancy;

namespace Lethe.Domain.Ingest;

/// <summary>An object as S3 says it landed in the ingest bucket (its key, and what its metadata and headers declare).</summary>
public sealed record LandedObject(string Key, long Size, string? ContentType, string? UploadId)
{
    /// <summary>The object's ETag as seen: what was scanned is read again only under this ETag (a second PUT is another object).</summary>
    public string? ETag { get; init; }

    /// <summary>
    /// When S3 stored the object (its Last-Modified): when the PUT was made, however long its event then waited in the queue.
    /// Null when the store cannot say; the receiver then judges by the time it looks.
    /// </summary>
    public DateTimeOffset? LandedAt { get; init; }
}

/// <summary>The ingest bucket as the receiver and the workflow see it. A port (S3).</summary>
public interface IIngestObjects
{
    /// <summary>The object's size, type and upload metadata, or null when it is not (or no longer) there.</summary>
    Task<LandedObject?> HeadAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// The object's bytes as they stream, only if its ETag is still <paramref name="etag"/> (the one scanned):
    /// <see cref="IngestObjectMissingException"/> when it is gone, <see cref="IngestObjectChangedException"/> when it was replaced.
    /// </summary>
    Task<Stream> OpenAsync(string key, string etag, CancellationToken cancellationToken);

    /// <summary>Moves the object into the quarantine bucket under the same key (copy, then delete); a move already made is fine.</summary>
    Task QuarantineAsync(string key, CancellationToken cancellationToken);

    /// <summary>Deletes the object; one already gone is fine.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken);
}

/// <summary>
/// The malware verdict of a landed object. A port: locally the streaming <see cref="SignatureScanner"/> reads the object; in AWS
/// the GuardDuty Malware Protection result tag is read (<see cref="ScanPendingException"/> until GuardDuty has tagged it).
/// </summary>
public interface IUploadScanner
{
    /// <summary>The verdict on the object as it was seen (<see cref="LandedObject.ETag"/>), never on one that replaced it.</summary>
    Task<ScanVerdict> ScanAsync(LandedObject landed, CancellationToken cancellationToken);
}

/// <summary>Scans by reading the object through a streaming scanner (the local cloud's, or any in-process one).</summary>
public sealed class StreamingUploadScanner(IIngestObjects objects, IMalwareScanner scanner) : IUploadScanner
{
    public async Task<ScanVerdict> ScanAsync(LandedObject landed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(landed);
        await using var content = await objects.OpenAsync(landed.Key, landed.ETag ?? string.Empty, cancellationToken);
        return await scanner.ScanAsync(content, cancellationToken);
    }
}

/// <summary>The object was replaced after it was scanned (its upload link used again): what was scanned is gone, nothing is read.</summary>
public sealed class IngestObjectChangedException(string message) : Errors.LetheException(message)
{
    public const string Name = "Lethe.IngestObjectChanged";

    public override string ErrorType => Name;
}

/// <summary>The verdict is not there yet (GuardDuty scans asynchronously): the message returns to the queue and comes back.</summary>
public sealed class ScanPendingException(string message) : Errors.LetheException(message)
{
    public const string Name = "Lethe.ScanPending";

    public override string ErrorType => Name;
}

/// <summary>The object an event names is gone from the ingest bucket (or never arrived): the message is retried, then given up.</summary>
public sealed class IngestObjectMissingException(string message) : Errors.LetheException(message)
{
    public const string Name = "Lethe.IngestObjectMissing";

    public override string ErrorType => Name;
}

/// <summary>A status move of an upload, conditional on the statuses it leaves (an upload moves forward once).</summary>
public sealed record UploadMove(IReadOnlyList<UploadStatus> From, UploadStatus To, DateTimeOffset At)
{
    public string? Reason { get; init; }

    public string? JobId { get; init; }

    public string? ItemId { get; init; }

    /// <summary>The ETag of the object that was scanned clean: the pipeline reads that object and no other.</summary>
    public string? ScannedETag { get; init; }

    /// <summary>The object moved to the quarantine bucket: the upload's object item follows it there (an erasure still finds it).</summary>
    public bool ObjectQuarantined { get; init; }
}

/// <summary>What the receiver did with one landed object.</summary>
public enum IngestOutcome
{
    /// <summary>Clean: the upload's ingest job was started.</summary>
    Started,

    /// <summary>Infected or unscannable: moved to quarantine, nothing of it stored.</summary>
    Quarantined,

    /// <summary>Matches no pending upload: deleted and audited.</summary>
    Rejected,

    /// <summary>The upload had moved on already (a redelivered event): nothing done again.</summary>
    Duplicate,
}

/// <summary>The ports of the receiver.</summary>
public sealed record IngestReceiverPorts(
    IUploadStore Uploads, IIngestObjects Objects, IUploadScanner Scanner, IJobStore Jobs, IWorkflowStarter Workflows, ITenantRepository Tenants,
    IAuditJournal Audit, INotifications Notices, TimeProvider Clock);

/// <summary>
/// Step 1 of the lifecycle (DESIGN.md, ingest): an object landed in the ingest bucket under <c>{tenant}/{uploadId}</c>. It must be
/// the object its pending upload declared (the upload id in its metadata, the declared size and type), else it is deleted and
/// audited; then it is scanned: infected or unscannable → quarantine bucket, upload <c>quarantined</c>, audit and an
/// <c>upload.quarantined</c> notice; clean → the upload's ingest job (workflows/ingest.asl.json) starts and the upload is
/// <c>processing</c>. A redelivered event finds the upload moved on and does nothing again; one job per upload (its
/// idempotency key is the upload id).
/// </summary>
public sealed class IngestReceiver(IngestReceiverPorts ports)
{
    public static readonly AuditActor Actor = new("lethe-ingest", "system");

    /// <summary>The audit actions of the receiver.</summary>
    public const string RejectedAction = "upload.rejected";
    public const string QuarantinedAction = "upload.quarantined";
    public const string ScannedAction = "upload.scanned";
    public const string FailedAction = "upload.failed";

    private DateTimeOffset Now => ports.Clock.GetUtcNow();

    /// <summary>
    /// S3 refuses a PUT through an expired link, so an object S3 stored before the expiry (plus clock skew) was PUT in time, however
    /// long its event waited in a backed-up queue. Without the store's time, the receiver allows one more link lifetime for the queue.
    /// </summary>
    private bool LandedAfterExpiry(Upload upload, LandedObject landed) => landed.LandedAt is { } at
        ? at > upload.ExpiresAt + UploadRules.ClockSkew
        : Now > upload.ExpiresAt + UploadRules.LinkLifetime;

    public async Task<IngestOutcome> ReceiveAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!TryParseKey(key, out var tenantId, out var uploadId))
        {
            // Not a key Lethe presigns: nobody's upload. The object goes; there is no tenant to audit it to.
            await ports.Objects.DeleteAsync(key, cancellationToken);
            return IngestOutcome.Rejected;
        }

        var upload = await ports.Uploads.FindAsync(tenantId, uploadId, cancellationToken);
        if (upload is null)
        {
            await ports.Objects.DeleteAsync(key, cancellationToken);
            await AuditRejectedAsync(tenantId, uploadId, null, "no upload of this id is pending", cancellationToken);
            return IngestOutcome.Rejected;
        }

        if (upload.Status == UploadStatus.Quarantined && await ports.Objects.HeadAsync(key, cancellationToken) is not null)
        {
            // Quarantined by an earlier delivery that stopped before the object moved: finish the move.
            await ports.Objects.QuarantineAsync(key, cancellationToken);
        }

        if (IsGivenUp(upload))
        {
            // Redriven from the dead-letter queue (README, operating the ingest queue): the upload is taken up again.
            await ports.Uploads.TryMoveAsync(tenantId, uploadId, new UploadMove([UploadStatus.Failed], UploadStatus.Scanning, Now) { Reason = "Redriven from the dead-letter queue." }, cancellationToken);
            upload = await ports.Uploads.FindAsync(tenantId, uploadId, cancellationToken) ?? upload;
        }

        if (upload.Status is UploadStatus.Failed or UploadStatus.Delivered)
        {
            // Its link may be used again until it expires: a second object for an upload that is done is not kept.
            await ports.Objects.DeleteAsync(key, cancellationToken);
        }

        if (upload.Status is not (UploadStatus.Pending or UploadStatus.Scanning))
        {
            return IngestOutcome.Duplicate;
        }

        var landed = await ports.Objects.HeadAsync(key, cancellationToken)
            ?? throw new IngestObjectMissingException($"The object of upload {uploadId} is not in the ingest bucket (yet).");
        var mismatch = landed.UploadId != uploadId ? "the object does not carry its upload's id" : UploadRules.Mismatch(upload.Declared, landed.Size, landed.ContentType);
        if (mismatch is null && LandedAfterExpiry(upload, landed))
        {
            mismatch = "the object arrived after its upload link had expired";
        }

        if (mismatch is not null)
        {
            await ports.Objects.DeleteAsync(key, cancellationToken);
            await ports.Uploads.TryMoveAsync(tenantId, uploadId, new UploadMove([UploadStatus.Pending, UploadStatus.Scanning], UploadStatus.Failed, Now)
            {
                Reason = $"Rejected: {mismatch}.",
            }, cancellationToken);
            await AuditRejectedAsync(tenantId, uploadId, upload.SubjectRef, mismatch, cancellationToken);
            return IngestOutcome.Rejected;
        }

        await ports.Uploads.TryMoveAsync(tenantId, uploadId, new UploadMove([UploadStatus.Pending], UploadStatus.Scanning, Now), cancellationToken);
        var verdict = await ports.Scanner.ScanAsync(landed, cancellationToken);
        return verdict.IsClean
            ? await StartAsync(upload, landed, cancellationToken)
            : await QuarantineAsync(upload, key, verdict, cancellationToken);
    }

    /// <summary>
    /// The queue gives up on a message (its last receive failed; the message goes to the dead-letter queue): the upload it names
    /// ends <c>failed</c> with the reason, so its owner sees it, and the audit says so.
    /// </summary>
    public async Task GiveUpAsync(string key, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!TryParseKey(key, out var tenantId, out var uploadId))
        {
            return;
        }

        var upload = await ports.Uploads.FindAsync(tenantId, uploadId, cancellationToken);
        if (upload is null || upload.Status is not (UploadStatus.Pending or UploadStatus.Scanning))
        {
            return;
        }

        if (await ports.Uploads.TryMoveAsync(tenantId, uploadId, new UploadMove([UploadStatus.Pending, UploadStatus.Scanning], UploadStatus.Failed, Now) { Reason = reason }, cancellationToken))
        {
            await AppendAsync(tenantId, uploadId, "failed", FailedAction, AuditActions.Failure, upload.SubjectRef, new JsonObject { ["reason"] = reason }, cancellationToken);
        }
    }

    /// <summary>The reason an upload ends with when the queue gave up on its event (a redrive takes it up again).</summary>
    public const string GaveUpPrefix = "Ingest gave up after";

    /// <summary>Failed only because the queue gave up on its event (no job, never scanned to the end): a redrive may take it up again.</summary>
    public static bool IsGivenUp(Upload upload)
    {
        ArgumentNullException.ThrowIfNull(upload);
        return upload.Status == UploadStatus.Failed && upload.JobId is null && upload.Reason?.StartsWith(GaveUpPrefix, StringComparison.Ordinal) == true;
    }

    /// <summary>Splits <c>{tenant}/{uploadId}</c>; false for any other key.</summary>
    public static bool TryParseKey(string key, out string tenantId, out string uploadId)
    {
        ArgumentNullException.ThrowIfNull(key);
        var parts = key.Split('/');
        (tenantId, uploadId) = parts.Length == 2 ? (parts[0], parts[1]) : (string.Empty, string.Empty);
        return parts.Length == 2 && TenantId.IsWellFormed(tenantId) && UploadIds.IsValid(uploadId);
    }

    private async Task<IngestOutcome> StartAsync(Upload upload, LandedObject landed, CancellationToken cancellationToken)
    {
        var now = Now;
        var job = new Job
        {
            Id = Job.NewId(now),
            TenantId = upload.TenantId,
            Type = JobType.Ingest,
            SubjectRef = upload.SubjectRef,
            ItemId = upload.Id,
            Status = JobStatus.Queued,
            Phase = JobPhases.Validate,
            CreatedAt = now,
            UpdatedAt = now,
            RequestedBy = Actor.Sub,
            RequestedByRole = Actor.Role,
        };
        // One job per upload, however often the event comes: the upload id is the job's idempotency key.
        var reservation = new IdempotencyReservation(AuditChain.Sha256Hex($"ingest:{upload.Id}"), upload.Id, now + TimeSpan.FromDays(1));
        var created = await ports.Jobs.CreateAsync(job, reservation, cancellationToken);
        var stored = created switch
        {
            JobCreated c => c.Job,
            JobReplayed r => r.Job,
            _ => throw new InvalidOperationException($"The ingest job of upload {upload.Id} could not be stored."),
        };
        await AppendAsync(upload.TenantId, upload.Id, "scanned", ScannedAction, AuditActions.Success, upload.SubjectRef, new JsonObject { ["verdict"] = "clean", ["requestId"] = stored.Id }, cancellationToken);
        // The upload names its job and the scanned object before the job runs: a delivery that stops after the start finds it
        // processing, and every step reads the object under the scanned ETag only.
        var moved = await ports.Uploads.TryMoveAsync(upload.TenantId, upload.Id, new UploadMove([UploadStatus.Pending, UploadStatus.Scanning], UploadStatus.Processing, Now)
        {
            JobId = stored.Id,
            ScannedETag = landed.ETag,
        }, cancellationToken);
        if (!moved && (await ports.Uploads.FindAsync(upload.TenantId, upload.Id, cancellationToken))?.JobId != stored.Id)
        {
            // An erasure took the upload during the scan: its job does not run (the reconciler's start finds no upload and fails it).
            return IngestOutcome.Duplicate;
        }

        if (stored.Status == JobStatus.Queued)
        {
            await ports.Workflows.StartCurrentAsync(ports.Jobs, stored, cancellationToken);
        }

        return IngestOutcome.Started;
    }

    private async Task<IngestOutcome> QuarantineAsync(Upload upload, string key, ScanVerdict verdict, CancellationToken cancellationToken)
    {
        // The upload first (its object item then names the quarantine bucket), then the object: a delivery that stops between
        // the two finds the upload quarantined and the object still here, and finishes the move.
        // The signature, never where in an archive it was (a member's name may name a person).
        var reason = verdict.Outcome == ScanOutcome.Infected ? $"Infected: {verdict.Signature}." : $"Unscannable: {verdict.Reason}.";
        var moved = await ports.Uploads.TryMoveAsync(upload.TenantId, upload.Id, new UploadMove([UploadStatus.Pending, UploadStatus.Scanning], UploadStatus.Quarantined, Now)
        {
            Reason = reason,
            ObjectQuarantined = true,
        }, cancellationToken);
        var quarantined = moved || (await ports.Uploads.FindAsync(upload.TenantId, upload.Id, cancellationToken))?.Status == UploadStatus.Quarantined;
        if (!quarantined)
        {
            // An erasure took the upload during the scan: the object is not kept anywhere (its item names the ingest bucket).
            await ports.Objects.DeleteAsync(key, cancellationToken);
            return IngestOutcome.Rejected;
        }

        await ports.Objects.QuarantineAsync(key, cancellationToken);
        await AppendAsync(upload.TenantId, upload.Id, "quarantined", QuarantinedAction, AuditActions.Failure, upload.SubjectRef, new JsonObject
        {
            ["verdict"] = verdict.Outcome == ScanOutcome.Infected ? "infected" : "unscannable",
            ["signature"] = verdict.Signature,
        }, cancellationToken);
        // The notice names the upload only; its name keeps it once however often the event comes.
        await ports.Notices.TrySendAsync(new Notification(upload.TenantId, NotificationEvents.UploadQuarantined, upload.Id, Now)
        {
            Ids = new Dictionary<string, string>(StringComparer.Ordinal) { ["uploadId"] = upload.Id },
        }, cancellationToken);

        return IngestOutcome.Quarantined;
    }

    private Task AuditRejectedAsync(string tenantId, string uploadId, string? subjectRef, string reason, CancellationToken cancellationToken) =>
        AppendAsync(tenantId, uploadId, "rejected", RejectedAction, AuditActions.Failure, subjectRef, new JsonObject { ["reason"] = reason }, cancellationToken);

    private Task AppendAsync(string tenantId, string uploadId, string step, string action, string outcome, string? subjectRef, JsonObject details, CancellationToken cancellationToken)
    {
        details["uploadId"] = uploadId;
        if (subjectRef is not null)
        {
            details["subjectRef"] = subjectRef;
        }

        using var document = JsonDocument.Parse(details.ToJsonString());
        return ports.Audit.AppendAsync(
            new AuditEvent($"{uploadId}:{step}", tenantId, Now, Actor, action, $"upload/{uploadId}", outcome, document.RootElement.Clone()), cancellationToken);
    }
}

/// <summary>Upload ids: <c>upl_</c> and 32 lowercase hex digits.</summary>
public static class UploadIds
{
    private static readonly System.Buffers.SearchValues<char> Hex = System.Buffers.SearchValues.Create("0123456789abcdef");

    public static string New() => $"upl_{Guid.NewGuid():N}";

    public static bool IsValid(string? id) =>
        id is { Length: 36 } && id.StartsWith("upl_", StringComparison.Ordinal) && id.AsSpan(4).IndexOfAnyExcept(Hex) < 0;
}
