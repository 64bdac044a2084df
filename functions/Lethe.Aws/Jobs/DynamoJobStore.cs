using System.Globalization;
using System.Text;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Catalog;
using Lethe.Catalog;
using Lethe.Domain.Jobs;
using Lethe.Domain;

namespace Lethe.Aws.Jobs;

/// <summary>
/// The Jobs table: jobs (<c>TENANT#t</c> / <c>JOB#id</c>, GSI <c>byStatus</c> = <c>TENANT#t#STATUS#s</c> / createdAt#id),
/// idempotency reservations (<c>IDEMPOTENCY#sha256(key)</c>, TTL <c>expiresAt</c>), erasure locks (<c>ERASURE#subjectRef</c>:
/// at most one open erasure per subject) and backup-scrub markers (<c>SCRUB#jobId</c>). A job, its reservation and its lock are
/// written in one transaction, so a key can never name a job that does not exist and a subject never gets two open erasures.
/// Reads and listings here; the creation transaction, the update expressions, the progress writers and the item mapping each
/// in their own file (DynamoJobStore.*.cs).
/// </summary>
public sealed partial class DynamoJobStore(IAmazonDynamoDB dynamo, string jobsTable, TimeProvider clock) : IJobStore
{
    public const int MaxErrorsKept = 100;
    private const string JobPrefix = "JOB#";

    /// <summary>The sort key of a job's item (<c>JOB#id</c>).</summary>
    public static string JobSortKey(string jobId) => JobPrefix + jobId;

    private const int ConflictAttempts = 8;
    private const string OpenPartition = "OPEN";

    public async Task<Job?> FindAsync(string tenantId, string jobId, CancellationToken cancellationToken) =>
        await GetAsync(tenantId, JobPrefix + jobId, cancellationToken) is { } item ? FromItem(item) : null;

    public async Task<(IReadOnlyList<Job> Items, string? NextCursor)> ListAsync(string tenantId, JobQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var values = new Dictionary<string, AttributeValue>();
        var names = new Dictionary<string, string>();
        var filters = new List<string>();
        var byStatus = query.Status is not null;
        // One subject's jobs come from its own index partition, never from reading the whole tenant's jobs.
        var bySubject = !byStatus && query.SubjectRef is not null;
        string keyCondition;
        if (byStatus)
        {
            keyCondition = "statusPk = :p";
            values[":p"] = new() { S = StatusPartition(tenantId, query.Status!.Value) };
        }
        else if (bySubject)
        {
            keyCondition = "subjectPk = :p";
            values[":p"] = new() { S = SubjectPartition(tenantId, query.SubjectRef!) };
        }
        else
        {
            keyCondition = "pk = :p AND begins_with(sk, :job)";
            values[":p"] = new() { S = DynamoKeys.TenantPartition(tenantId) };
            values[":job"] = new() { S = JobPrefix };
        }

        if (query.Type is { } type)
        {
            filters.Add("#type = :type");
            names["#type"] = "type";
            values[":type"] = new() { S = TypeName(type) };
        }

        if (query.SubjectRef is { } subjectRef && !bySubject)
        {
            filters.Add("subjectRef = :ref");
            values[":ref"] = new() { S = subjectRef };
        }

        if (query.DueBefore is { } dueBefore)
        {
            filters.Add("deadline < :dueBefore");
            values[":dueBefore"] = new() { S = Time(dueBefore) };
        }

        if (query.Overdue is { } overdue)
        {
            // Job.IsOverdue as a filter: a deletion or export completed after its deadline, or not ended (awaiting approval, queued, running,
            // failed) with its deadline passed. Stored times are fixed-width UTC text, so they compare as text.
            names["#status"] = "status";
            values[":completed"] = new() { S = JobStatuses.Name(JobStatus.Completed) };
            values[":now"] = new() { S = Time(query.Now) };
            var late = new[] { JobStatus.AwaitingApproval, JobStatus.Queued, JobStatus.Running, JobStatus.Failed };
            for (var i = 0; i < late.Length; i++)
            {
                values[$":late{i}"] = new() { S = JobStatuses.Name(late[i]) };
            }

            names["#type"] = "type";
            values[":deletion"] = new() { S = TypeName(JobType.Deletion) };
            values[":export"] = new() { S = TypeName(JobType.Export) };
            var isOverdue = $"(#type IN (:deletion, :export) AND attribute_exists(deadline) AND ((#status = :completed AND completedAt > deadline) OR (#status IN ({string.Join(", ", late.Select((_, i) => $":late{i}"))}) AND deadline < :now)))";
            filters.Add(overdue ? isOverdue : $"NOT {isOverdue}");
        }

        var page = await dynamo.QueryUpToAsync(new QueryRequest
        {
            TableName = jobsTable,
            IndexName = byStatus ? ResourceCatalog.Jobs.GlobalIndexes[0].Name : bySubject ? ResourceCatalog.Jobs.GlobalIndexes[2].Name : null,
            KeyConditionExpression = keyCondition,
            FilterExpression = filters.Count > 0 ? string.Join(" AND ", filters) : null,
            ExpressionAttributeNames = names.Count > 0 ? names : null,
            ExpressionAttributeValues = values,
            ScanIndexForward = false,
            ExclusiveStartKey = DecodeCursor(query.Cursor, tenantId, query.Status, bySubject ? query.SubjectRef : null),
        }, query.Limit, cancellationToken);
        var last = page.Count == query.Limit ? page[^1] : null;
        var next = last is null ? null : Convert.ToBase64String(Encoding.UTF8.GetBytes(
            byStatus ? $"{last["statusSk"].S}|{last["sk"].S}" : bySubject ? $"{last["subjectSk"].S}|{last["sk"].S}" : last["sk"].S));
        return (page.Select(FromItem).ToList(), next);
    }

    public async Task ForgetReasonsAsync(string tenantId, string subjectRef, CancellationToken cancellationToken)
    {
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamo.QueryAsync(new QueryRequest
            {
                TableName = jobsTable,
                IndexName = ResourceCatalog.Jobs.GlobalIndexes[2].Name,
                KeyConditionExpression = "subjectPk = :s",
                FilterExpression = "attribute_exists(reason) OR attribute_exists(denyReason)",
                ExpressionAttributeValues = new() { [":s"] = new() { S = SubjectPartition(tenantId, subjectRef) } },
                ExclusiveStartKey = start,
            }, cancellationToken);
            foreach (var item in page.Items)
            {
                try
                {
                    await dynamo.UpdateItemAsync(new UpdateItemRequest
                    {
                        TableName = jobsTable,
                        Key = DynamoKeys.Of(tenantId, item[ResourceCatalog.SortKeyName].S),
                        UpdateExpression = "REMOVE reason, denyReason",
                        // Never creates an item: a job removed meanwhile stays removed.
                        ConditionExpression = "attribute_exists(pk)",
                    }, cancellationToken);
                }
                catch (ConditionalCheckFailedException)
                {
                    // Gone already.
                }
            }

            start = page.LastEvaluatedKey is { Count: > 0 } more ? more : null;
        }
        while (start is not null);
    }

    public async Task<IReadOnlyList<Job>> ListOpenAsync(CancellationToken cancellationToken)
    {
        var open = new List<Job>();
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamo.QueryAsync(new QueryRequest
            {
                TableName = jobsTable,
                IndexName = ResourceCatalog.Jobs.GlobalIndexes[1].Name,
                KeyConditionExpression = "openPk = :open",
                ExpressionAttributeValues = new() { [":open"] = new() { S = OpenPartition } },
                ExclusiveStartKey = start,
            }, cancellationToken);
            // A job closed by a writer of an older version may still be indexed: only open ones count.
            open.AddRange(page.Items.Select(FromItem).Where(j => JobStatuses.IsOpen(j.Status)));
            start = page.LastEvaluatedKey is { Count: > 0 } more ? more : null;
        }
        while (start is not null);

        return open;
    }

    public async Task<string?> OpenErasureAsync(string tenantId, string subjectRef, CancellationToken cancellationToken) =>
        await GetAsync(tenantId, LockKey(subjectRef), cancellationToken) is { } item ? item["jobId"].S : null;

    public async Task<bool> AdvanceExecutionAsync(string tenantId, string jobId, int current, IReadOnlyList<string> fromPhases, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fromPhases);
        if (fromPhases.Count == 0)
        {
            return false;
        }

        var values = new Dictionary<string, AttributeValue>
        {
            [":current"] = new() { N = current.ToString(CultureInfo.InvariantCulture) },
            [":next"] = new() { N = (current + 1).ToString(CultureInfo.InvariantCulture) },
            [":running"] = new() { S = JobStatuses.Name(JobStatus.Running) },
        };
        for (var i = 0; i < fromPhases.Count; i++)
        {
            values[$":phase{i}"] = new() { S = fromPhases[i] };
        }

        try
        {
            await dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = jobsTable,
                Key = DynamoKeys.Of(tenantId, JobPrefix + jobId),
                UpdateExpression = "SET execution = :next REMOVE executionArn, executionSeenAt",
                ConditionExpression = $"execution = :current AND #status = :running AND #phase IN ({string.Join(", ", fromPhases.Select((_, i) => $":phase{i}"))})",
                ExpressionAttributeNames = new() { ["#status"] = "status", ["#phase"] = "phase" },
                ExpressionAttributeValues = values,
            }, cancellationToken);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }
    }

    public Task SetExecutionArnAsync(string tenantId, string jobId, int execution, string executionArn, CancellationToken cancellationToken) =>
        SetExecutionAttributesAsync(tenantId, jobId, execution, "SET executionArn = :arn, executionSeenAt = :seen", new()
        {
            [":arn"] = new() { S = executionArn },
            [":seen"] = new() { S = Time(clock.GetUtcNow()) },
        }, cancellationToken);

    public Task MarkExecutionSeenAsync(string tenantId, string jobId, int execution, DateTimeOffset at, CancellationToken cancellationToken) =>
        SetExecutionAttributesAsync(tenantId, jobId, execution, "SET executionSeenAt = :seen", new() { [":seen"] = new() { S = Time(at) } }, cancellationToken);

    private async Task SetExecutionAttributesAsync(
        string tenantId, string jobId, int execution, string expression, Dictionary<string, AttributeValue> values, CancellationToken cancellationToken)
    {
        values[":n"] = new() { N = execution.ToString(CultureInfo.InvariantCulture) };
        try
        {
            await dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = jobsTable,
                Key = DynamoKeys.Of(tenantId, JobPrefix + jobId),
                UpdateExpression = expression,
                ConditionExpression = "execution = :n",
                ExpressionAttributeValues = values,
            }, cancellationToken);
        }
        catch (ConditionalCheckFailedException)
        {
            // A later execution took over meanwhile; it records its own.
        }
    }
}
