using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Catalog;
using Lethe.Domain.Erasure;
using Lethe.Domain.Jobs;
using Lethe.Domain.Policies;
using Lethe.Domain.Requests;
using Lethe.Domain;

namespace Lethe.Aws.Jobs;

/// <summary>Keys, attribute names and the mapping between a job and its item.</summary>
public sealed partial class DynamoJobStore
{
    /// <summary>Certificate tally attributes: purged items per category (<c>tc_{category}</c>) and per store (<c>ts_{store}</c>).</summary>
    private const string CategoryTallyPrefix = "tc_";
    private const string StoreTallyPrefix = "ts_";
    private const string VersionsAttribute = "versionsDeleted";

    public static string TypeName(JobType type) => JobTypes.Name(type);

    private static JobType ParseType(string value) => JobTypes.Parse(value) ?? throw new FormatException($"Unknown job type '{value}'.");

    private static string ReservationKey(string keyHash) => $"IDEMPOTENCY#{keyHash}";

    private static string LockKey(string subjectRef) => ErasureLocks.SortKey(subjectRef);

    private static string PageAttribute(string phase) => "page_" + phase.Replace('-', '_');

    private static string StatusPartition(string tenantId, JobStatus status) => $"TENANT#{tenantId}#STATUS#{JobStatuses.Name(status)}";

    private static string SubjectPartition(string tenantId, string subjectRef) => $"TENANT#{tenantId}#SUBJECT#{subjectRef}";

    private static string Bind(Dictionary<string, AttributeValue> values, string name, string value)
    {
        values[name] = new() { S = value };
        return name;
    }

    private static string Time(DateTimeOffset at) => Timestamps.Format(at);

    private static DateTimeOffset ParseTime(string value) => Timestamps.Parse(value);

    private async Task<Dictionary<string, AttributeValue>?> GetAsync(string tenantId, string sortKey, CancellationToken cancellationToken)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest { TableName = jobsTable, Key = DynamoKeys.Of(tenantId, sortKey), ConsistentRead = true }, cancellationToken);
        return response.IsItemSet && response.Item is { Count: > 0 } item ? item : null;
    }

    private static Dictionary<string, AttributeValue>? DecodeCursor(string? cursor, string tenantId, JobStatus? status, string? subjectRef)
    {
        if (string.IsNullOrEmpty(cursor))
        {
            return null;
        }

        var text = DynamoPaging.DecodeCursorText(cursor);

        var parts = text.Split('|');
        if (!parts[^1].StartsWith(JobPrefix, StringComparison.Ordinal) || parts.Length != (status is null && subjectRef is null ? 1 : 2))
        {
            throw new Records.InvalidCursorException();
        }

        var key = DynamoKeys.Of(tenantId, parts[^1]);
        if (status is { } s)
        {
            key["statusPk"] = new() { S = StatusPartition(tenantId, s) };
            key["statusSk"] = new() { S = parts[0] };
        }
        else if (subjectRef is not null)
        {
            key["subjectPk"] = new() { S = SubjectPartition(tenantId, subjectRef) };
            key["subjectSk"] = new() { S = parts[0] };
        }

        return key;
    }

    private static AttributeValue ErrorItem(JobError error) => new()
    {
        M = new Dictionary<string, AttributeValue>
        {
            ["itemId"] = new() { S = error.ItemId },
            ["message"] = new() { S = error.Message },
            ["at"] = new() { S = Time(error.At) },
        },
    };

    private static Dictionary<string, AttributeValue> ToItem(Job job)
    {
        var item = DynamoKeys.Of(job.TenantId, JobPrefix + job.Id);
        void Put(string name, string? value)
        {
            if (value is not null)
            {
                item[name] = new() { S = value };
            }
        }

        Put("jobId", job.Id);
        Put("tenantId", job.TenantId);
        Put("type", TypeName(job.Type));
        Put("subjectRef", job.SubjectRef);
        Put("reason", job.Reason);
        if (job.SubjectRef != RequestService.AuditExportSubject)
        {
            Put("subjectPk", SubjectPartition(job.TenantId, job.SubjectRef));
            Put("subjectSk", $"{Time(job.CreatedAt)}#{job.Id}");
        }

        Put("format", job.Format);
        Put("itemId", job.ItemId);
        Put("retrievalTier", job.RetrievalTier);
        Put("sourceJobId", job.SourceJobId);
        Put("targetKeyArn", job.TargetKeyArn);
        Put("previousKeyArn", job.PreviousKeyArn);
        if (job.TargetKeyByok)
        {
            item["targetKeyByok"] = new() { BOOL = true };
        }

        if (job.PreviousKeyByok)
        {
            item["previousKeyByok"] = new() { BOOL = true };
        }

        if (job.FinalExport)
        {
            item["finalExport"] = new() { BOOL = true };
        }

        if (job.MaskedCategories.Count > 0)
        {
            item["maskedCategories"] = new() { SS = [.. job.MaskedCategories] };
        }
        Put("status", JobStatuses.Name(job.Status));
        Put("phase", job.Phase);
        Put("createdAt", Time(job.CreatedAt));
        Put("updatedAt", Time(job.UpdatedAt));
        Put("phaseStartedAt", Time(job.CreatedAt));
        Put("purgeAt", job.PurgeAt is { } purge ? Time(purge) : null);
        Put("deadline", job.Deadline is { } deadline ? Time(deadline) : null);
        Put("rangeFrom", job.RangeFrom is { } rangeFrom ? Time(rangeFrom) : null);
        Put("rangeTo", job.RangeTo is { } rangeTo ? Time(rangeTo) : null);
        Put("requestedBy", job.RequestedBy);
        Put("requestedByRole", job.RequestedByRole);
        Put("requestedByKey", job.RequestedByKey);
        Put("approval", job.Approval == ApprovalPolicy.None ? null : ApprovalPolicies.Name(job.Approval));
        Put("statusPk", StatusPartition(job.TenantId, job.Status));
        Put("statusSk", $"{Time(job.CreatedAt)}#{job.Id}");
        if (JobStatuses.IsOpen(job.Status))
        {
            Put("openPk", OpenPartition);
            Put("openSk", $"{job.TenantId}#{job.Id}");
        }
        item["execution"] = new() { N = job.Execution.ToString(CultureInfo.InvariantCulture) };
        foreach (var counter in new[] { "total", "softDeleted", "purged", "failed", "restored", "held" })
        {
            item[counter] = new() { N = "0" };
        }

        item["errors"] = new() { L = [], IsLSet = true };
        return item;
    }

    private static Dictionary<string, long> Tallies(Dictionary<string, AttributeValue> item, string prefix) =>
        item.Where(a => a.Key.StartsWith(prefix, StringComparison.Ordinal) && a.Value.N is not null)
            .ToDictionary(a => a.Key[prefix.Length..], a => long.Parse(a.Value.N, CultureInfo.InvariantCulture), StringComparer.Ordinal);

    private static Job FromItem(Dictionary<string, AttributeValue> item)
    {
        string? Text(string name) => item.TryGetValue(name, out var v) && v.S is not null ? v.S : null;
        long Number(string name) => item.TryGetValue(name, out var v) && v.N is not null ? long.Parse(v.N, CultureInfo.InvariantCulture) : 0;
        DateTimeOffset? When(string name) => Text(name) is { } t ? ParseTime(t) : null;
        var errors = (item.TryGetValue("errors", out var list) ? list.L ?? [] : [])
            .Select(e => new JobError(e.M["itemId"].S, e.M["message"].S, ParseTime(e.M["at"].S))).ToList();
        return new Job
        {
            Id = Text("jobId")!,
            TenantId = Text("tenantId")!,
            Type = ParseType(Text("type")!),
            SubjectRef = Text("subjectRef")!,
            Reason = Text("reason"),
            Format = Text("format"),
            Status = JobStatuses.Parse(Text("status")) ?? throw new FormatException($"Unknown job status {Text("status")}."),
            Phase = Text("phase")!,
            Counts = new ErasureCounts(Number("total"), Number("softDeleted"), Number("purged"), Number("failed"), Number("restored"), Number("held"))
            {
                PurgedByCategory = Tallies(item, CategoryTallyPrefix),
                PurgedByStore = Tallies(item, StoreTallyPrefix),
                VersionsDeleted = Number(VersionsAttribute),
                Archived = Number("archived"),
                Masked = Number("masked"),
            },
            MaskedCategories = item.TryGetValue("maskedCategories", out var masked) && masked.SS is { Count: > 0 } categories ? [.. categories.Order(StringComparer.Ordinal)] : [],
            Errors = errors,
            CreatedAt = When("createdAt")!.Value,
            UpdatedAt = When("updatedAt")!.Value,
            PhaseStartedAt = When("phaseStartedAt"),
            CompletedAt = When("completedAt"),
            PurgeAt = When("purgeAt"),
            PurgeStartedAt = When("purgeStartedAt"),
            Deadline = When("deadline"),
            OverdueAt = When("overdueAt"),
            RequestedByKey = Text("requestedByKey"),
            Approval = ApprovalPolicies.Parse(Text("approval")) ?? ApprovalPolicy.None,
            Decision = Text("decision") is { } decision ? new JobDecision(decision == "approved", Text("decidedBy") ?? "-", When("decidedAt") ?? When("updatedAt")!.Value, Text("denyReason")) : null,
            CertificateId = Text("certificateId"),
            Exported = Number("exported"),
            ExportParts = (int)Number("exportParts"),
            ExportBytes = Number("exportBytes"),
            ExportCursor = Text("exportCursor"),
            ExportMore = item.TryGetValue("exportMore", out var more) && more.BOOL == true,
            DownloadExpiresAt = When("downloadExpiresAt"),
            ItemId = Text("itemId"),
            RetrievalTier = Text("retrievalTier"),
            SourceJobId = Text("sourceJobId"),
            TargetKeyArn = Text("targetKeyArn"),
            PreviousKeyArn = Text("previousKeyArn"),
            TargetKeyByok = item.TryGetValue("targetKeyByok", out var targetByok) && targetByok.BOOL == true,
            PreviousKeyByok = item.TryGetValue("previousKeyByok", out var previousByok) && previousByok.BOOL == true,
            FinalExport = item.TryGetValue("finalExport", out var finalExport) && finalExport.BOOL == true,
            RangeFrom = When("rangeFrom"),
            RangeTo = When("rangeTo"),
            Execution = (int)Number("execution"),
            ExecutionArn = Text("executionArn"),
            ExecutionSeenAt = When("executionSeenAt"),
            RequestedBy = Text("requestedBy") ?? "unknown",
            RequestedByRole = Text("requestedByRole") ?? "service",
        };
    }
}
