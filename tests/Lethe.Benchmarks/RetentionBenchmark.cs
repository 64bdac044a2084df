using System.Diagnostics;
using System.Globalization;
using System.Text;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Catalog;
using Lethe.Aws.Configuration;
using Lethe.Aws.Jobs;
using Lethe.Aws.Records;
using Lethe.Aws.Retention;
using Lethe.Aws.StepFunctions;
using Lethe.Aws.Tenants;
using Lethe.Catalog;
using Lethe.Domain;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Requests;
using Lethe.Domain.Tenancy;
using Lethe.LocalCloud;
using Microsoft.Extensions.Logging;

namespace Lethe.Benchmarks;

/// <summary>
/// Issue 14: the sweep's cost grows with the due items, not the table. Two identical tenants of <see cref="Items"/> inventory
/// items (<see cref="Subjects"/> subjects), of which <see cref="Due"/> are past their retention (records, each with its record
/// item) and the rest due later over the next year. Lethe sweeps one through workflows/retention-sweep.asl.json; a raw loop
/// deletes the other's due items knowing exactly where they are (the same byExpiry buckets, BatchWriteItem of 25). Reports
/// items/s and AWS calls per due item for both (counted at the gateway), after checking each left exactly the due items gone.
/// </summary>
public static class RetentionBenchmark
{
    public const int Items = 100_000;
    public const int Due = 10_000;
    public const int Subjects = 100;

    public static async Task<string> RunAsync(string root)
    {
        using var loggers = LoggerFactory.Create(b => Lethe.Lambda.Logging.PowertoolsLoggingExtensions.AddPowertoolsJsonConsole(b, o => o.Service = "lethe-bench").SetMinimumLevel(LogLevel.Warning));
        await using var cloud = await LocalCloudHost.StartAsync(
            new LocalCloudOptions { ResourcePrefix = "lethe-bench-retention", RepositoryRoot = root, JobStatusInterval = TimeSpan.FromSeconds(30) }, loggers);
        cloud.ApplyToProcessEnvironment();
        var names = ResourceNames.FromEnvironment();
        using var dynamo = cloud.CreateDynamoDbClient();
        var now = DateTimeOffset.UtcNow;
        var tenants = new DynamoTenantRepository(dynamo, names.Table(ResourceCatalog.Tenants));
        var seed = Stopwatch.StartNew();
        foreach (var tenant in new[] { "bench-sweep", "bench-raw" })
        {
            // Created three days ago: a first run reads the deferred bucket and four day buckets (8 shards each).
            await tenants.GetOrCreateAsync(new Tenant(tenant, "Benchmark", TenantState.Active, now.AddDays(-3), 1), CancellationToken.None);
            await SeedAsync(dynamo, names, tenant, now);
        }

        Console.WriteLine($"  seeded 2 × {Items:N0} items ({Due:N0} due each) in {seed.Elapsed.TotalSeconds:0} s");

        var jobs = new DynamoJobStore(dynamo, names.Table(ResourceCatalog.Jobs), TimeProvider.System);
        var started = DateTimeOffset.UtcNow;
        var job = new Job
        {
            Id = Job.NewId(started), TenantId = "bench-sweep", Type = JobType.RetentionSweep, SubjectRef = RequestService.TenantWideSubject,
            Status = JobStatus.Queued, Phase = JobPhases.Validate, CreatedAt = started, UpdatedAt = started, RequestedBy = "benchmark",
        };
        await jobs.CreateAsync(job, null, CancellationToken.None);
        var machine = cloud.Environment[ResourceNames.WorkflowVariable("retention-sweep")];
        cloud.AwsCalls.Reset();
        var watch = Stopwatch.StartNew();
        await cloud.StepFunctions.StartExecutionAsync(new StartExecutionRequest(machine, job.ExecutionName,
            $$"""{"tenantId":"bench-sweep","jobId":"{{job.Id}}","execution":1,"pageSize":500,"pagesPerExecution":{{WorkflowPaging.DefaultPagesPerExecution}}}"""), CancellationToken.None);
        Job? done;
        var polls = 0;
        do
        {
            await Task.Delay(250);
            done = await jobs.FindAsync("bench-sweep", job.Id, CancellationToken.None);
            polls++;
        }
        while (done is { Status: JobStatus.Queued or JobStatus.Running } && watch.Elapsed < TimeSpan.FromMinutes(60));

        var letheSeconds = watch.Elapsed.TotalSeconds;
        var letheCalls = SystemCalls(cloud.AwsCalls.Snapshot(), polls);
        var byTable = cloud.AwsCalls.SnapshotByTable();
        if (done is not { Status: JobStatus.Completed } || done.Counts.Purged != Due)
        {
            throw new InvalidOperationException($"The sweep did not purge every due item: {(done is null ? "no job" : $"{JobStatuses.Name(done.Status)}/{done.Phase}, purged {done.Counts.Purged:N0}")}.");
        }

        await AssertOnlyDueGoneAsync(dynamo, names, "bench-sweep");
        var auditTable = names.Table(ResourceCatalog.Audit);
        var chainerCalls = byTable.Where(c => c.Key.EndsWith(" (chain)", StringComparison.Ordinal) || c.Key == $"Query {auditTable}").Sum(c => c.Value);
        var letheTotal = letheCalls.Values.Sum() - chainerCalls;

        cloud.AwsCalls.Reset();
        watch.Restart();
        var rawDeleted = await RawSweepAsync(dynamo, names, "bench-raw", DateTimeOffset.UtcNow);
        var rawSeconds = watch.Elapsed.TotalSeconds;
        var rawCalls = SystemCalls(cloud.AwsCalls.Snapshot(), 0);
        var rawTotal = rawCalls.Values.Sum();
        // A raw loop that stopped early would make every ratio a lie: it must have deleted exactly the due items.
        if (rawDeleted != Due)
        {
            throw new InvalidOperationException($"The raw loop found {rawDeleted:N0} due items, not {Due:N0}.");
        }

        await AssertOnlyDueGoneAsync(dynamo, names, "bench-raw");
        var callsPerDue = (double)letheTotal / Due;
        var speed = Due / letheSeconds;
        var rawSpeed = Due / rawSeconds;
        var report = new StringBuilder()
            .AppendLine("# Retention sweep: the workflow vs a raw loop over the same due items")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Measured {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores against the local cloud (moto 5.2.1).")
            .AppendLine(CultureInfo.InvariantCulture, $"Per tenant: {Items:N0} inventory items of {Subjects} subjects; {Due:N0} past retention (records with their record items, due over the last two days), the rest due over the next year.")
            .AppendLine("Lethe: workflows/retention-sweep.asl.json in moto's Step Functions, pages of 500, no legal holds; every due subject keeps later items (no KEK shred).")
            .AppendLine("Raw: query the same byExpiry buckets (sorted by retainUntil, only what is due), then BatchWriteItem deletes (25 per call) of each record and its inventory item; no conditions, manifests, audit, counters or certificate.")
            .AppendLine("AWS calls are counted at the gateway, without the local cloud's stream polling, this benchmark's job reads, and the audit chainer (counted apart).")
            .AppendLine()
            .AppendLine("| | wall s | due items/s | AWS calls | calls per due item |")
            .AppendLine("|---|---|---|---|---|")
            .AppendLine(CultureInfo.InvariantCulture, $"| Lethe retention sweep (begin → complete) | {letheSeconds:0.0} | {speed:0} | {letheTotal:N0} | {callsPerDue:0.000} |")
            .AppendLine(CultureInfo.InvariantCulture, $"| audit chainer (counted apart) | | | {chainerCalls:N0} | {(double)chainerCalls / Due:0.000} |")
            .AppendLine(CultureInfo.InvariantCulture, $"| raw delete loop | {rawSeconds:0.0} | {rawSpeed:0} | {rawTotal:N0} | {(double)rawTotal / Due:0.000} |")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Both runs were checked afterwards: every due record and its inventory entry gone (Lethe: a purged tombstone), every one of the {Items - Due:N0} others still there and active.")
            .AppendLine()
            .AppendLine("Lethe's calls by operation and table:")
            .AppendLine();
        foreach (var (operation, count) in byTable.OrderByDescending(c => c.Value))
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"- {operation}: {count:N0}");
        }

        report.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"calls per due item {callsPerDue:0.000}, due items/s {speed:0} (raw {rawSpeed:0}), speed ratio {speed / rawSpeed:0.00}");
        return report.ToString();
    }

    private static Dictionary<string, long> SystemCalls(IReadOnlyDictionary<string, long> counted, int benchmarkGetItems)
    {
        var calls = counted.Where(c => !c.Key.StartsWith("DynamoDBStreams", StringComparison.Ordinal)).ToDictionary(c => c.Key, c => c.Value, StringComparer.Ordinal);
        const string getItem = "DynamoDB_20120810.GetItem";
        if (calls.TryGetValue(getItem, out var reads))
        {
            calls[getItem] = reads - benchmarkGetItems;
        }

        return calls;
    }

    private static string Subject(int i) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes($"subject-{i}")));

    private static bool IsDue(int i) => i % (Items / Due) == 0;

    private static string ItemId(int i) => $"rec_{i:D7}";

    private static async Task SeedAsync(AmazonDynamoDBClient dynamo, ResourceNames names, string tenantId, DateTimeOffset now)
    {
        var writes = new List<(string Table, Dictionary<string, AttributeValue> Item)>();
        for (var i = 0; i < Items; i++)
        {
            var id = ItemId(i);
            var subject = Subject(i % Subjects);
            var due = IsDue(i);
            // Due: spread over the last two days; the rest over the next year.
            var retainUntil = due ? now.AddMinutes(-1 - (i % 2880)) : now.AddDays(1 + (i % 365));
            var inventory = DynamoKeys.Of(tenantId, $"ITEM#{id}");
            inventory["itemId"] = new() { S = id };
            inventory["kind"] = new() { S = "record" };
            inventory["subjectRef"] = new() { S = subject };
            inventory["category"] = new() { S = i % 3 == 0 ? "transcript" : "note" };
            inventory["state"] = new() { S = "active" };
            inventory["classification"] = new() { S = "internal" };
            inventory["location"] = new() { M = new() { ["store"] = new() { S = "dynamodb" }, ["table"] = new() { S = ResourceCatalog.Records.LogicalName }, ["key"] = new() { S = $"RECORD#{id}" } } };
            inventory["subjectPk"] = new() { S = DynamoRecordStore.SubjectPartition(tenantId, subject) };
            inventory["subjectSk"] = new() { S = $"2026-01-01T00:00:00.000Z#{id}" };
            DynamoRecordStore.AddExpiry(inventory, tenantId, id, retainUntil);
            writes.Add((names.Table(ResourceCatalog.Inventory), inventory));
            if (due)
            {
                var record = DynamoKeys.Of(tenantId, $"RECORD#{id}");
                record["recordId"] = new() { S = id };
                record["subjectRef"] = new() { S = subject };
                record["state"] = new() { S = "active" };
                record["fields"] = new() { M = new() { ["text"] = new() { S = $"benchmark record {i}" } } };
                writes.Add((names.Table(ResourceCatalog.Records), record));
            }
        }

        await Parallel.ForEachAsync(writes.Chunk(25), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (chunk, ct) =>
        {
            var request = chunk.GroupBy(w => w.Table).ToDictionary(g => g.Key, g => g.Select(w => new WriteRequest { PutRequest = new PutRequest { Item = w.Item } }).ToList());
            while (request.Count > 0)
            {
                var response = await dynamo.BatchWriteItemAsync(new BatchWriteItemRequest { RequestItems = request }, ct);
                request = response.UnprocessedItems is { Count: > 0 } left ? left : [];
            }
        });
    }

    /// <summary>The raw way: the same byExpiry buckets (three days back to today), only what is due, then batched deletes.</summary>
    private static async Task<int> RawSweepAsync(AmazonDynamoDBClient dynamo, ResourceNames names, string tenantId, DateTimeOffset asOf)
    {
        var due = new List<Dictionary<string, AttributeValue>>();
        for (var day = DateOnly.FromDateTime(asOf.UtcDateTime.AddDays(-3)); day <= DateOnly.FromDateTime(asOf.UtcDateTime); day = day.AddDays(1))
        {
            for (var shard = 0; shard < DynamoRecordStore.ExpiryShards; shard++)
            {
                Dictionary<string, AttributeValue>? start = null;
                do
                {
                    var page = await dynamo.QueryAsync(new QueryRequest
                    {
                        TableName = names.Table(ResourceCatalog.Inventory),
                        IndexName = ResourceCatalog.Inventory.GlobalIndexes[1].Name,
                        KeyConditionExpression = "expiryPk = :p AND expirySk <= :due",
                        ExpressionAttributeValues = new()
                        {
                            [":p"] = new() { S = DynamoRetentionInventory.DayPartition(tenantId, day, shard) },
                            [":due"] = new() { S = $"{Timestamps.Format(asOf)}#~" },
                        },
                        ExclusiveStartKey = start,
                    });
                    due.AddRange(page.Items);
                    start = page.LastEvaluatedKey is { Count: > 0 } more ? more : null;
                }
                while (start is not null);
            }
        }

        var deletes = due.SelectMany(item => new[]
        {
            (Table: names.Table(ResourceCatalog.Inventory), Key: DynamoKeys.Of(tenantId, item["sk"].S)),
            (Table: names.Table(ResourceCatalog.Records), Key: DynamoKeys.Of(tenantId, item["location"].M["key"].S)),
        });
        foreach (var chunk in deletes.Chunk(25))
        {
            var request = chunk.GroupBy(d => d.Table).ToDictionary(g => g.Key, g => g.Select(d => new WriteRequest { DeleteRequest = new DeleteRequest { Key = d.Key } }).ToList());
            while (request.Count > 0)
            {
                var response = await dynamo.BatchWriteItemAsync(new BatchWriteItemRequest { RequestItems = request });
                request = response.UnprocessedItems is { Count: > 0 } left ? left : [];
            }
        }

        return due.Count;
    }

    /// <summary>Fails unless every due record is gone with its inventory entry (or a purged tombstone) and every other item is there and active.</summary>
    private static async Task AssertOnlyDueGoneAsync(AmazonDynamoDBClient dynamo, ResourceNames names, string tenantId)
    {
        var inventoryTable = names.Table(ResourceCatalog.Inventory);
        var recordsTable = names.Table(ResourceCatalog.Records);
        int recordsLeft = 0, dueLive = 0, othersActive = 0;
        // 90 inventory keys and their due records (one in ten) stay within BatchGetItem's 100 keys.
        foreach (var chunk in Enumerable.Range(0, Items).Chunk(90))
        {
            var request = new Dictionary<string, KeysAndAttributes>
            {
                [inventoryTable] = new() { Keys = [.. chunk.Select(i => DynamoKeys.Of(tenantId, $"ITEM#{ItemId(i)}"))], ConsistentRead = true },
            };
            var dueKeys = chunk.Where(IsDue).Select(i => DynamoKeys.Of(tenantId, $"RECORD#{ItemId(i)}")).ToList();
            if (dueKeys.Count > 0)
            {
                request[recordsTable] = new() { Keys = dueKeys, ConsistentRead = true };
            }

            while (request.Count > 0)
            {
                var response = await dynamo.BatchGetItemAsync(new BatchGetItemRequest { RequestItems = request });
                recordsLeft += response.Responses.GetValueOrDefault(recordsTable)?.Count ?? 0;
                foreach (var item in response.Responses.GetValueOrDefault(inventoryTable) ?? [])
                {
                    var index = int.Parse(item["itemId"].S[4..], CultureInfo.InvariantCulture);
                    if (IsDue(index))
                    {
                        dueLive += item["state"].S == "purged" ? 0 : 1;
                    }
                    else
                    {
                        othersActive += item["state"].S == "active" ? 1 : 0;
                    }
                }

                request = response.UnprocessedKeys is { Count: > 0 } more ? more : [];
            }
        }

        if (recordsLeft + dueLive > 0 || othersActive != Items - Due)
        {
            throw new InvalidOperationException(
                $"Tenant {tenantId}: {recordsLeft:N0} due record(s) and {dueLive:N0} due inventory item(s) left, {othersActive:N0} of {Items - Due:N0} others active.");
        }
    }
}
