using System.Globalization;
using System.Text;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Catalog;
using Lethe.Catalog;
using Lethe.Domain.Erasure;
using Lethe.Domain.Jobs;
using Lethe.Domain.Requests;

namespace Lethe.Aws.Jobs;

/// <summary>
/// The Jobs table: jobs (<c>TENANT#t</c> / <c>JOB#id</c>, GSI <c>byStatus</c> = <c>TENANT#t#STATUS#s</c> / createdAt#id),
/// idempotency reservations (<c>IDEMPOTENCY#sha256(key)</c>, TTL <c>expiresAt</c>), erasure locks (<c>ERASURE#subjectRef</c>:
/// at most one open erasure per subject) and backup-scrub markers (<c>SCRUB#jobId</c>). A job, its reservation and its lock are
/// written in one transaction, so a key can never name a job that does not exist and a subject never gets two open erasures.
/// </summary>
public sealed class DynamoJobStore(IAmazonDynamoDB dynamo, string jobsTable, TimeProvider clock) : IJobStore, IBackupScrubSchedule
{
    public const int MaxErrorsKept = 100;
    private const string JobPrefix = "JOB#";
    private const int ConflictAttempts = 8;
    private const string OpenPartition = "OPEN";

    public async Task<JobCreation> CreateAsync(Job job, IdempotencyReservation? reservation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var items = new List<TransactWriteItem>
        {
            new() { Put = new Put { TableName = jobsTable, Item = ToItem(job), ConditionExpression = "attribute_not_exists(pk)" } },
        };
        if (reservation is not null)
        {
            var key = DynamoKeys.Of(job.TenantId, ReservationKey(reservation.KeyHash));
            key["jobId"] = new() { S = job.Id };
            key["fingerprint"] = new() { S = reservation.Fingerprint };
            key["expiresAt"] = new() { N = reservation.ExpiresAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) };
            items.Add(new() { Put = new Put
            {
                TableName = jobsTable,
                Item = key,
                // A reservation past its 24 hours is forgotten even before TTL removes it (TTL runs late, and never in moto).
                ConditionExpression = "attribute_not_exists(pk) OR expiresAt < :now",
                ExpressionAttributeValues = new() { [":now"] = new() { N = clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) } },
            } });
        }

        // A deletion takes the subject's erasure lock; an export of a subject checks it in the same transaction (API.md: an export
        // requested during an erasure is refused with 409). The lock action is always last.
        if (job.Type == JobType.Deletion)
        {
            var lockItem = DynamoKeys.Of(job.TenantId, LockKey(job.SubjectRef));
            lockItem["jobId"] = new() { S = job.Id };
            items.Add(new() { Put = new Put { TableName = jobsTable, Item = lockItem, ConditionExpression = "attribute_not_exists(pk)" } });
        }
        else if (job.Type == JobType.Export)
        {
            items.Add(new ErasureLocks(dynamo, jobsTable).AbsentCheck(job.TenantId, job.SubjectRef));
        }

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest { TransactItems = items }, cancellationToken);
                return new JobCreated(job);
            }
            catch (TransactionCanceledException ex)
            {
                var reasons = ex.CancellationReasons ?? [];
                if (reservation is not null && Failed(reasons, 1))
                {
                    var existing = await GetAsync(job.TenantId, ReservationKey(reservation.KeyHash), cancellationToken);
                    if (existing is not null)
                    {
                        var jobId = existing["jobId"].S;
                        if (existing["fingerprint"].S != reservation.Fingerprint)
                        {
                            return new IdempotencyConflict(jobId);
                        }

                        return await FindAsync(job.TenantId, jobId, cancellationToken) is { } first
                            ? new JobReplayed(first)
                            : throw new InvalidOperationException("An idempotency reservation names a job that does not exist.");
                    }
                }

                if (job.Type is JobType.Deletion or JobType.Export && Failed(reasons, items.Count - 1)
                    && await OpenErasureAsync(job.TenantId, job.SubjectRef, cancellationToken) is { } open)
                {
                    return new ErasureAlreadyOpen(open);
                }

                // A concurrent transaction on the same key (or a reservation removed meanwhile): try again, then give up loudly.
                if (attempt >= ConflictAttempts)
                {
                    throw new Domain.Errors.TransientException("The job could not be stored: concurrent submissions kept conflicting.", ex);
                }

                await Task.Delay(TimeSpan.FromMilliseconds(20 * attempt + Random.Shared.Next(20)), cancellationToken);
            }
        }
    }

    private static bool Failed(List<CancellationReason> reasons, int index) =>
        index < reasons.Count && reasons[index].Code == "ConditionalCheckFailed";

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
                FilterExpression = "attribute_exists(reason)",
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
                        UpdateExpression = "REMOVE reason",
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

    public async Task<Job?> TryUpdateAsync(string tenantId, string jobId, JobUpdate update, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        var current = await FindAsync(tenantId, jobId, cancellationToken);
        if (current is null)
        {
            return null;
        }

        var names = new Dictionary<string, string> { ["#status"] = "status" };
        if (update.WhenPhase is { Count: > 0 } || update.Phase is not null)
        {
            names["#phase"] = "phase";
        }

        var values = new Dictionary<string, AttributeValue> { [":now"] = new() { S = Time(update.At) } };
        var conditions = new List<string> { "attribute_exists(pk)" };
        conditions.Add($"#status IN ({string.Join(", ", update.WhenStatus.Select((s, i) => Bind(values, $":ws{i}", JobStatuses.Name(s))))})");
        if (update.WhenPhase is { Count: > 0 } phases)
        {
            conditions.Add($"#phase IN ({string.Join(", ", phases.Select((p, i) => Bind(values, $":wp{i}", p)))})");
        }

        var set = new List<string> { "updatedAt = :now" };
        var remove = new List<string>();
        var add = new List<string>();
        if (update.Status is { } status)
        {
            set.Add("#status = :status");
            set.Add("statusPk = :statusPk");
            values[":status"] = new() { S = JobStatuses.Name(status) };
            values[":statusPk"] = new() { S = StatusPartition(tenantId, status) };
            // The sparse "open" index holds open jobs only: a job leaves it when it closes and comes back when a retry reopens it.
            if (JobStatuses.IsOpen(status))
            {
                set.Add("openPk = :openPk, openSk = :openSk");
                values[":openPk"] = new() { S = OpenPartition };
                values[":openSk"] = new() { S = $"{tenantId}#{jobId}" };
            }
            else
            {
                remove.Add("openPk");
                remove.Add("openSk");
            }
        }

        if (update.Phase is { } phase)
        {
            set.Add("#phase = :phase");
            set.Add("phaseStartedAt = :now");
            values[":phase"] = new() { S = phase };
        }

        if (update.MarkPurgeStarted)
        {
            set.Add("purgeStartedAt = if_not_exists(purgeStartedAt, :now)");
        }

        if (update.CompletedAt is { } completed)
        {
            set.Add("completedAt = :completed");
            values[":completed"] = new() { S = Time(completed) };
        }

        if (update.CertificateId is { } certificate)
        {
            set.Add("certificateId = :certificate");
            values[":certificate"] = new() { S = certificate };
        }

        if (update.Total is { } total)
        {
            set.Add("#total = :total");
            names["#total"] = "total";
            values[":total"] = new() { N = total.ToString(CultureInfo.InvariantCulture) };
        }

        if (update.DownloadExpiresAt is { } expires)
        {
            set.Add("downloadExpiresAt = :expires");
            values[":expires"] = new() { S = Time(expires) };
        }

        if (update.ResetPurge)
        {
            set.Add($"#purged = :zero, #failed = :zero, #held = :zero, #restored = :zero, #errors = :none, {VersionsAttribute} = :zero");
            var cleared = 0;
            foreach (var tally in current.Counts.PurgedByCategory.Keys.Select(k => CategoryTallyPrefix + k)
                .Concat(current.Counts.PurgedByStore.Keys.Select(k => StoreTallyPrefix + k)))
            {
                names[$"#c{cleared}"] = tally;
                remove.Add($"#c{cleared++}");
            }

            names["#errors"] = "errors";
            foreach (var counter in new[] { "purged", "failed", "held", "restored" })
            {
                names[$"#{counter}"] = counter;
            }

            values[":zero"] = new() { N = "0" };
            values[":none"] = new() { L = [], IsLSet = true };
            remove.Add($"{PageAttribute(JobPhases.Purge)}");
            remove.Add("executionArn");
        }

        if (update.Error is { } error)
        {
            set.Add("#errors = list_append(if_not_exists(#errors, :none), :error)");
            names["#errors"] = "errors";
            values[":none"] = new() { L = [], IsLSet = true };
            values[":error"] = new() { L = [ErrorItem(error)] };
        }

        if (update.NextExecution)
        {
            add.Add("execution :one");
            values[":one"] = new() { N = "1" };
            if (!remove.Contains("executionArn"))
            {
                remove.Add("executionArn");
            }
        }

        var expression = "SET " + string.Join(", ", set) + (remove.Count > 0 ? " REMOVE " + string.Join(", ", remove) : "") + (add.Count > 0 ? " ADD " + string.Join(", ", add) : "");
        var jobUpdate = new Update
        {
            TableName = jobsTable,
            Key = DynamoKeys.Of(tenantId, JobPrefix + jobId),
            UpdateExpression = expression,
            ConditionExpression = string.Join(" AND ", conditions),
            ExpressionAttributeNames = names,
            ExpressionAttributeValues = values,
        };
        var transaction = new List<TransactWriteItem> { new() { Update = jobUpdate } };
        var lockCondition = new Dictionary<string, AttributeValue> { [":job"] = new() { S = jobId } };
        if (update.ReleaseErasureLock)
        {
            transaction.Add(new() { Delete = new Delete
            {
                TableName = jobsTable,
                Key = DynamoKeys.Of(tenantId, LockKey(current.SubjectRef)),
                ConditionExpression = "attribute_not_exists(pk) OR jobId = :job",
                ExpressionAttributeValues = lockCondition,
            } });
        }

        if (update.AcquireErasureLock)
        {
            var lockItem = DynamoKeys.Of(tenantId, LockKey(current.SubjectRef));
            lockItem["jobId"] = new() { S = jobId };
            transaction.Add(new() { Put = new Put
            {
                TableName = jobsTable,
                Item = lockItem,
                ConditionExpression = "attribute_not_exists(pk) OR jobId = :job",
                ExpressionAttributeValues = lockCondition,
            } });
        }

        try
        {
            await dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest { TransactItems = transaction }, cancellationToken);
        }
        catch (TransactionCanceledException)
        {
            return null;
        }

        return await FindAsync(tenantId, jobId, cancellationToken);
    }

    public async Task<bool> RecordPageAsync(
        string tenantId, string jobId, string phase, long page, ErasureCounts earned, IReadOnlyList<JobError> errors, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(earned);
        ArgumentNullException.ThrowIfNull(errors);
        var values = new Dictionary<string, AttributeValue>
        {
            [":page"] = new() { N = page.ToString(CultureInfo.InvariantCulture) },
            [":now"] = new() { S = Time(at) },
        };
        var adds = new List<string>();
        var names = new Dictionary<string, string>();
        void Add(string attribute, long value)
        {
            if (value != 0)
            {
                // Counter names such as "total" are DynamoDB reserved words: always through a placeholder.
                adds.Add($"#{attribute} :{attribute}");
                names[$"#{attribute}"] = attribute;
                values[$":{attribute}"] = new() { N = value.ToString(CultureInfo.InvariantCulture) };
            }
        }

        Add("total", earned.Total);
        Add("softDeleted", earned.SoftDeleted);
        Add("purged", earned.Purged);
        Add("failed", earned.Failed);
        Add("restored", earned.Restored);
        Add("held", earned.Held);
        Add(VersionsAttribute, earned.VersionsDeleted);
        // The certificate's tally moves in this same conditional write: one attribute per category and per store.
        var tallied = 0;
        void Tally(string prefix, IReadOnlyDictionary<string, long> counts)
        {
            foreach (var (name, count) in counts.Where(c => c.Value != 0))
            {
                var slot = $"t{tallied++}";
                adds.Add($"#{slot} :{slot}");
                names[$"#{slot}"] = prefix + name;
                values[$":{slot}"] = new() { N = count.ToString(CultureInfo.InvariantCulture) };
            }
        }

        Tally(CategoryTallyPrefix, earned.PurgedByCategory);
        Tally(StoreTallyPrefix, earned.PurgedByStore);
        var pageAttribute = PageAttribute(phase);
        try
        {
            await dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = jobsTable,
                Key = DynamoKeys.Of(tenantId, JobPrefix + jobId),
                UpdateExpression = $"SET {pageAttribute} = :page, updatedAt = :now" + (adds.Count > 0 ? " ADD " + string.Join(", ", adds) : ""),
                ConditionExpression = $"attribute_exists(pk) AND (attribute_not_exists({pageAttribute}) OR {pageAttribute} < :page)",
                ExpressionAttributeNames = names.Count > 0 ? names : null,
                ExpressionAttributeValues = values,
            }, cancellationToken);
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }

        if (errors.Count > 0)
        {
            try
            {
                // Errors are kept for review up to a bound (the item must stay far below 400 KB); the counter keeps the full number.
                await dynamo.UpdateItemAsync(new UpdateItemRequest
                {
                    TableName = jobsTable,
                    Key = DynamoKeys.Of(tenantId, JobPrefix + jobId),
                    UpdateExpression = "SET #errors = list_append(if_not_exists(#errors, :none), :errors)",
                    ConditionExpression = "attribute_not_exists(#errors) OR size(#errors) < :max",
                    ExpressionAttributeNames = new() { ["#errors"] = "errors" },
                    ExpressionAttributeValues = new()
                    {
                        [":none"] = new() { L = [], IsLSet = true },
                        [":errors"] = new() { L = errors.Take(MaxErrorsKept).Select(ErrorItem).ToList() },
                        [":max"] = new() { N = MaxErrorsKept.ToString(CultureInfo.InvariantCulture) },
                    },
                }, cancellationToken);
            }
            catch (ConditionalCheckFailedException)
            {
                // Enough examples are listed already.
            }
        }

        return true;
    }

    public async Task<bool> RecordVolumeAsync(string tenantId, string jobId, ExportVolumeRecord volume, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(volume);
        var values = new Dictionary<string, AttributeValue>
        {
            [":parts"] = new() { N = volume.Volume.ToString(CultureInfo.InvariantCulture) },
            [":items"] = new() { N = volume.Items.ToString(CultureInfo.InvariantCulture) },
            [":bytes"] = new() { N = volume.Bytes.ToString(CultureInfo.InvariantCulture) },
            [":running"] = new() { S = JobStatuses.Name(JobStatus.Running) },
            [":now"] = new() { S = Time(volume.At) },
        };
        if (volume.Volume > 1)
        {
            values[":previous"] = new() { N = (volume.Volume - 1).ToString(CultureInfo.InvariantCulture) };
        }

        values[":more"] = new() { BOOL = volume.More };
        var set = "exportParts = :parts, exportMore = :more, updatedAt = :now";
        if (volume.Cursor is not null)
        {
            set += ", exportCursor = :cursor";
            values[":cursor"] = new() { S = volume.Cursor };
        }

        try
        {
            await dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = jobsTable,
                Key = DynamoKeys.Of(tenantId, JobPrefix + jobId),
                UpdateExpression = $"SET {set} ADD exported :items, exportBytes :bytes",
                ConditionExpression = "#status = :running AND " + (volume.Volume == 1 ? "attribute_not_exists(exportParts)" : "exportParts = :previous"),
                ExpressionAttributeNames = new() { ["#status"] = "status" },
                ExpressionAttributeValues = values,
            }, cancellationToken);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }
    }

    public async Task<bool> AdvanceExecutionAsync(string tenantId, string jobId, int current, CancellationToken cancellationToken)
    {
        try
        {
            await dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = jobsTable,
                Key = DynamoKeys.Of(tenantId, JobPrefix + jobId),
                UpdateExpression = "SET execution = :next REMOVE executionArn",
                ConditionExpression = "execution = :current AND #status = :running AND #phase IN (:softDelete, :purge)",
                ExpressionAttributeNames = new() { ["#status"] = "status", ["#phase"] = "phase" },
                ExpressionAttributeValues = new()
                {
                    [":current"] = new() { N = current.ToString(CultureInfo.InvariantCulture) },
                    [":next"] = new() { N = (current + 1).ToString(CultureInfo.InvariantCulture) },
                    [":running"] = new() { S = JobStatuses.Name(JobStatus.Running) },
                    [":softDelete"] = new() { S = JobPhases.SoftDelete },
                    [":purge"] = new() { S = JobPhases.Purge },
                },
            }, cancellationToken);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }
    }

    public async Task SetExecutionArnAsync(string tenantId, string jobId, int execution, string executionArn, CancellationToken cancellationToken)
    {
        try
        {
            await dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = jobsTable,
                Key = DynamoKeys.Of(tenantId, JobPrefix + jobId),
                UpdateExpression = "SET executionArn = :arn",
                ConditionExpression = "execution = :n",
                ExpressionAttributeValues = new()
                {
                    [":arn"] = new() { S = executionArn },
                    [":n"] = new() { N = execution.ToString(CultureInfo.InvariantCulture) },
                },
            }, cancellationToken);
        }
        catch (ConditionalCheckFailedException)
        {
            // A later execution took over meanwhile; it records its own ARN.
        }
    }

    public async Task ScheduleAsync(string tenantId, string jobId, DateTimeOffset dueAt, CancellationToken cancellationToken)
    {
        var item = DynamoKeys.Of(tenantId, $"SCRUB#{jobId}");
        item["jobId"] = new() { S = jobId };
        item["dueAt"] = new() { S = Time(dueAt) };
        item["status"] = new() { S = "due" };
        try
        {
            await dynamo.PutItemAsync(new PutItemRequest { TableName = jobsTable, Item = item, ConditionExpression = "attribute_not_exists(pk)" }, cancellationToken);
        }
        catch (ConditionalCheckFailedException)
        {
            // Scheduled already (a replayed step).
        }
    }

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

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset ParseTime(string value) => DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

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
            Status = Enum.Parse<JobStatus>(Text("status")!, ignoreCase: true),
            Phase = Text("phase")!,
            Counts = new ErasureCounts(Number("total"), Number("softDeleted"), Number("purged"), Number("failed"), Number("restored"), Number("held"))
            {
                PurgedByCategory = Tallies(item, CategoryTallyPrefix),
                PurgedByStore = Tallies(item, StoreTallyPrefix),
                VersionsDeleted = Number(VersionsAttribute),
            },
            Errors = errors,
            CreatedAt = When("createdAt")!.Value,
            UpdatedAt = When("updatedAt")!.Value,
            PhaseStartedAt = When("phaseStartedAt"),
            CompletedAt = When("completedAt"),
            PurgeAt = When("purgeAt"),
            PurgeStartedAt = When("purgeStartedAt"),
            Deadline = When("deadline"),
            CertificateId = Text("certificateId"),
            Exported = Number("exported"),
            ExportParts = (int)Number("exportParts"),
            ExportBytes = Number("exportBytes"),
            ExportCursor = Text("exportCursor"),
            ExportMore = item.TryGetValue("exportMore", out var more) && more.BOOL == true,
            DownloadExpiresAt = When("downloadExpiresAt"),
            RangeFrom = When("rangeFrom"),
            RangeTo = When("rangeTo"),
            Execution = (int)Number("execution"),
            ExecutionArn = Text("executionArn"),
            RequestedBy = Text("requestedBy") ?? "unknown",
            RequestedByRole = Text("requestedByRole") ?? "service",
        };
    }
}
