using System.Diagnostics;
using System.Globalization;
using System.Text;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.S3;
using Amazon.S3.Model;
using Lethe.Aws.Catalog;
using Lethe.Catalog;
using Lethe.Aws.Configuration;
using Lethe.Aws.Jobs;
using Lethe.Aws.Keys;
using Lethe.Aws.StepFunctions;
using Lethe.Aws.Tenants;
using Lethe.Domain.Crypto;
using Lethe.Domain.Jobs;
using Lethe.Domain.Tenancy;
using Lethe.LocalCloud;
using Microsoft.Extensions.Logging;
using Lethe.Domain.Jobs.Workflow;

namespace Lethe.Benchmarks;

/// <summary>
/// Erases one subject with <see cref="Items"/> inventory items (records and S3 objects) through the real deletion workflow on the
/// local cloud, and runs a raw batched SDK delete loop (BatchWriteItem of 25, DeleteObjects of 1,000) over an identical copy
/// of the data for another subject. Reports items per second for both, the AWS calls each made (counted at the gateway)
/// against one call per item, and the execution history size.
/// </summary>
public static class ErasureBenchmark
{
    public const int Items = 100_000;
    public const int Objects = 10_000;

    public static async Task<string> RunAsync(string root, int items = Items, int objects = Objects)
    {
        using var loggers = Microsoft.Extensions.Logging.LoggerFactory.Create(b => Lethe.Lambda.Logging.PowertoolsLoggingExtensions.AddPowertoolsJsonConsole(b, o => o.Service = "lethe-bench").SetMinimumLevel(LogLevel.Warning));
        await using var cloud = await LocalCloudHost.StartAsync(
            new LocalCloudOptions { ResourcePrefix = "lethe-bench-erase", RepositoryRoot = root, JobStatusInterval = TimeSpan.FromSeconds(30) }, loggers);
        cloud.ApplyToProcessEnvironment();
        try
        {
            return await MeasureAsync(cloud, items, objects);
        }
        catch (Exception ex)
        {
            await Console.Error.WriteLineAsync($"{ex.GetType().Name}: {(ex as Amazon.Runtime.AmazonServiceException)?.StatusCode} {(ex as Amazon.Runtime.AmazonServiceException)?.ErrorCode} {ex.Message}");
            // The emulator's log says why a call failed (moto's own traceback is not in the SDK's exception).
            await Console.Error.WriteLineAsync($"moto exit code: {cloud.MotoExitCode?.ToString(CultureInfo.InvariantCulture) ?? "still running"}");
            var output = cloud.MotoOutput;
            await Console.Error.WriteLineAsync(output[Math.Max(0, output.Length - 6000)..]);
            throw;
        }
    }

    private static async Task<string> MeasureAsync(LocalCloudHost cloud, int items, int objects)
    {
        var names = ResourceNames.FromEnvironment();
        using var dynamo = cloud.CreateDynamoDbClient();
        using var s3 = cloud.CreateS3Client();
        using var kms = cloud.CreateKmsClient();
        const string tenantId = "bench-erase";
        var tenants = new DynamoTenantRepository(dynamo, names.Table(ResourceCatalog.Tenants));
        var keyArn = await new KmsTenantKeys(kms, ResourceNames.KeyAliasPrefix()).GetOrCreateAsync(tenantId, CancellationToken.None);
        await tenants.GetOrCreateAsync(new Tenant(tenantId, "Benchmark", TenantState.Active, DateTimeOffset.UtcNow, 1) { KeyArn = keyArn }, CancellationToken.None);
        var keys = new KmsKeyHierarchy(kms, dynamo, names.Table(ResourceCatalog.Keys), new KekCache(TimeProvider.System, TimeSpan.FromMinutes(5), 10), TimeProvider.System);

        var lethe = new string('a', 64);
        var raw = new string('b', 64);
        var seed = Stopwatch.StartNew();
        foreach (var subject in new[] { lethe, raw })
        {
            (await keys.GetOrCreateSubjectKekAsync(tenantId, keyArn, subject, CancellationToken.None)).Dispose();
            await SeedAsync(dynamo, s3, names, tenantId, subject, items - objects, objects);
        }

        Console.WriteLine($"  seeded 2 × {items:N0} items in {seed.Elapsed.TotalSeconds:0} s");

        // Lethe: the deletion workflow, window already over (the benchmark measures the erasure, not the wait).
        var jobs = new DynamoJobStore(dynamo, names.Table(ResourceCatalog.Jobs), TimeProvider.System);
        var now = DateTimeOffset.UtcNow;
        var job = new Job
        {
            Id = Job.NewId(now), TenantId = tenantId, Type = JobType.Deletion, SubjectRef = lethe, Status = JobStatus.Queued, Phase = JobPhases.Validate,
            CreatedAt = now, UpdatedAt = now, PurgeAt = now.AddSeconds(-1), Deadline = now.AddDays(30), RequestedBy = "benchmark",
        };
        await jobs.CreateAsync(job, null, CancellationToken.None);
        var machine = cloud.Environment[ResourceNames.WorkflowVariable("deletion")];
        cloud.AwsCalls.Reset();
        var watch = Stopwatch.StartNew();
        await cloud.StepFunctions.StartExecutionAsync(new StartExecutionRequest(machine, job.ExecutionName,
            $$"""{"tenantId":"{{tenantId}}","jobId":"{{job.Id}}","execution":1,"pageSize":{{WorkflowPaging.PageSize}},"pagesPerExecution":{{WorkflowPaging.DefaultPagesPerExecution}}}"""), CancellationToken.None);
        Job? done;
        var polls = 0;
        DateTimeOffset? purgeEnded = null;
        do
        {
            await Task.Delay(250);
            done = await jobs.FindAsync(tenantId, job.Id, CancellationToken.None);
            polls++;
            if (purgeEnded is null && done is { PurgeStartedAt: not null } && done.Phase is not (JobPhases.Purge or JobPhases.Held))
            {
                // The first look after the purge: its end, to within one poll.
                purgeEnded = DateTimeOffset.UtcNow;
            }
        }
        while (done is { Status: JobStatus.Queued or JobStatus.Running } && watch.Elapsed < TimeSpan.FromMinutes(90));

        var letheSeconds = watch.Elapsed.TotalSeconds;
        var counted = cloud.AwsCalls.Snapshot();
        var byTable = cloud.AwsCalls.SnapshotByTable();
        if (done is not { Status: JobStatus.Completed })
        {
            throw new InvalidOperationException($"The erasure did not complete: {(done is null ? "no job" : $"{JobStatuses.Name(done.Status)}/{done.Phase}")}.");
        }

        if (done.Counts.Purged != items)
        {
            throw new InvalidOperationException($"The erasure completed but its certificate counts {done.Counts.Purged:N0} purged items, not {items:N0}.");
        }

        var purgeSeconds = ((purgeEnded ?? DateTimeOffset.UtcNow) - done.PurgeStartedAt!.Value).TotalSeconds;
        // The audit chainer links the journal's events as a separate function (its own calls on the Audit table; the steps only
        // append there): counted apart, as the issue asks.
        var auditTable = names.Table(ResourceCatalog.Audit);
        // Its calls: those that touch the chain's head or links, and its queries for journal events not yet linked (the steps
        // never query the Audit table). The certificate's one read of the chain head is counted with them.
        var chainerCalls = byTable.Where(c => c.Key.EndsWith(" (chain)", StringComparison.Ordinal) || c.Key == $"Query {auditTable}").Sum(c => c.Value);
        var letheCalls = CallsMadeByTheSystem(counted, benchmarkGetItems: polls);
        await AssertErasedAsync(dynamo, s3, names, tenantId, lethe, items - objects);
        var history = new List<(string Name, int Events)>();
        for (var n = 1; n <= done!.Execution; n++)
        {
            var arn = StepFunctionsWorkflowStarter.ExecutionArn(machine, Job.ExecutionNameOf(job.Id, n));
            history.Add((Job.ExecutionNameOf(job.Id, n), (await cloud.StepFunctions.GetFullExecutionHistoryAsync(arn, CancellationToken.None)).Count));
        }

        // Raw: the same shape of data, first hidden, then deleted, by plain batched loops that know where everything is.
        cloud.AwsCalls.Reset();
        watch.Restart();
        await RawHideAsync(dynamo, names, tenantId, raw);
        var rawHideSeconds = watch.Elapsed.TotalSeconds;
        // A baseline that silently stopped early would make every ratio a lie: it must have hidden everything.
        await AssertHiddenAsync(dynamo, names, tenantId, raw, items, items - objects);
        var rawHideCalls = cloud.AwsCalls.Total;
        watch.Restart();
        await RawDeleteAsync(dynamo, s3, names, tenantId, raw);
        var rawSeconds = watch.Elapsed.TotalSeconds;
        var rawCalls = CallsMadeByTheSystem(cloud.AwsCalls.Snapshot(), benchmarkGetItems: 0);
        // ... and deleted everything too.
        await AssertErasedAsync(dynamo, s3, names, tenantId, raw, items - objects);

        var letheTotal = letheCalls.Values.Sum() - chainerCalls;
        var rawTotal = rawCalls.Values.Sum();
        var purgeRatio = rawSeconds / purgeSeconds;
        var erasureRatio = (rawHideSeconds + rawSeconds) / letheSeconds;
        var callsPerItem = (double)letheTotal / items;
        var report = new StringBuilder()
            .AppendLine("# Erasure of one subject: the deletion workflow vs raw batched loops")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Measured {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores against the local cloud (moto 5.2.1).")
            .AppendLine(CultureInfo.InvariantCulture, $"Data per subject: {items:N0} inventory items = {items - objects:N0} records (Records table) + {objects:N0} S3 objects (one version each).")
            .AppendLine(CultureInfo.InvariantCulture, $"Lethe: workflows/deletion.asl.json in moto's Step Functions, pages of up to {WorkflowPaging.PageSize:N0} items (DynamoDB's 1 MB cap usually ends a page first), recovery window already over (its wait is not measured); status `{JobStatuses.Name(done.Status)}`, purged {done.Counts.Purged:N0}.")
            .AppendLine("Raw hide: query the inventory in 1 MB pages; BatchWriteItem puts (25 per call) of every inventory item and record, read back with BatchGetItem (100 per call), marked soft-deleted.")
            .AppendLine("Raw delete: query the inventory; BatchWriteItem deletes (25 per call) of records and inventory items; ListObjectVersions + DeleteObjects (1,000 per call).")
            .AppendLine("AWS calls are counted at the local cloud's gateway, without the local cloud's own DynamoDB Streams polling (Lambda's event source mapping in AWS), without this benchmark's job-status reads, and with the audit chainer's calls (a separate function linking the journal: the calls that touch the chain's head or links, and its queries for unlinked events) counted apart.")
            .AppendLine()
            .AppendLine("| | wall s | items/s | AWS calls | calls per item |")
            .AppendLine("|---|---|---|---|---|")
            .AppendLine(CultureInfo.InvariantCulture, $"| Lethe deletion workflow (validate → complete) | {letheSeconds:0.0} | {items / letheSeconds:0} | {letheTotal:N0} | {callsPerItem:0.000} |")
            .AppendLine(CultureInfo.InvariantCulture, $"| of which the purge phase | {purgeSeconds:0.0} | {items / purgeSeconds:0} | | |")
            .AppendLine(CultureInfo.InvariantCulture, $"| audit chainer (counted apart) | | | {chainerCalls:N0} | {(double)chainerCalls / items:0.000} |")
            .AppendLine(CultureInfo.InvariantCulture, $"| raw hide loop | {rawHideSeconds:0.0} | {items / rawHideSeconds:0} | {rawHideCalls:N0} | {(double)rawHideCalls / items:0.000} |")
            .AppendLine(CultureInfo.InvariantCulture, $"| raw delete loop | {rawSeconds:0.0} | {items / rawSeconds:0} | {rawTotal:N0} | {(double)rawTotal / items:0.000} |")
            .AppendLine(CultureInfo.InvariantCulture, $"| one call per item (reference) | | | {items:N0} | 1.000 |")
            .AppendLine()
            .AppendLine("Every run was checked afterwards: the raw hide left every item of its subject hidden; the erasure and the raw delete left no record of their subject, no object version under its prefix, and no inventory item in the subject index.")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Purge ratio P = purge-phase items/s ÷ the raw delete loop's = {purgeRatio:0.00} (target ≥ 1.0).")
            .AppendLine(CultureInfo.InvariantCulture, $"Erasure ratio E = (raw hide + raw delete time) ÷ Lethe's active erasure time = {erasureRatio:0.00} (target ≥ 0.5).")
            .AppendLine(CultureInfo.InvariantCulture, $"Calls per item C = {callsPerItem:0.000} (target ≤ 0.05), {1 / callsPerItem:0.0}× fewer than one call per item.")
            .AppendLine("What Lethe does that the raw loops do not: conditional state moves of every item (soft delete; purge guarded by the subject's legal-hold marker) with the record hidden or deleted in the same transaction, page manifests, per-page audit events with hashed manifests, progress counters, the KEK shred and the signed certificate.")
            .AppendLine()
            .AppendLine("Execution history (limit 25,000 events per execution):")
            .AppendLine();
        foreach (var (name, events) in history)
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"- `{name}`: {events:N0} events");
        }

        report.AppendLine().AppendLine("Lethe's AWS calls by operation (the chainer's included here):").AppendLine();
        foreach (var (operation, count) in letheCalls.OrderByDescending(c => c.Value))
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"- {operation}: {count:N0}");
        }

        report.AppendLine().AppendLine("DynamoDB calls during Lethe's run by operation and table (this benchmark's job-status reads included here):").AppendLine();
        foreach (var (operation, count) in byTable.OrderByDescending(c => c.Value))
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"- {operation}: {count:N0}");
        }

        report.AppendLine().AppendLine("Raw delete loop's AWS calls by operation:").AppendLine();
        foreach (var (operation, count) in rawCalls.OrderByDescending(c => c.Value))
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"- {operation}: {count:N0}");
        }

        // The last line names each ratio (API.md, ./lethe bench).
        report.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"purge ratio {purgeRatio:0.00}, erasure ratio {erasureRatio:0.00}, calls per item {callsPerItem:0.000}");
        return report.ToString();
    }

    private static Dictionary<string, long> CallsMadeByTheSystem(IReadOnlyDictionary<string, long> counted, int benchmarkGetItems)
    {
        var calls = counted.Where(c => !c.Key.StartsWith("DynamoDBStreams", StringComparison.Ordinal)).ToDictionary(c => c.Key, c => c.Value, StringComparer.Ordinal);
        const string getItem = "DynamoDB_20120810.GetItem";
        if (calls.TryGetValue(getItem, out var reads))
        {
            calls[getItem] = reads - benchmarkGetItems;
        }

        return calls;
    }

    private static async Task SeedAsync(AmazonDynamoDBClient dynamo, AmazonS3Client s3, ResourceNames names, string tenantId, string subjectRef, int records, int objects)
    {
        var recordsTable = names.Table(ResourceCatalog.Records);
        var inventoryTable = names.Table(ResourceCatalog.Inventory);
        var bucket = names.Bucket(ResourceCatalog.Data);
        var writes = new List<(string Table, Dictionary<string, AttributeValue> Item)>();
        for (var i = 0; i < records + objects; i++)
        {
            var isObject = i >= records;
            var itemId = $"{(isObject ? "file" : "rec")}_{subjectRef[..4]}{i:D7}";
            var location = isObject
                ? new Dictionary<string, AttributeValue> { ["store"] = new() { S = "s3" }, ["bucket"] = new() { S = ResourceCatalog.Data.LogicalName }, ["key"] = new() { S = $"{tenantId}/{subjectRef}/{itemId}/f.txt" } }
                : new Dictionary<string, AttributeValue> { ["store"] = new() { S = "dynamodb" }, ["table"] = new() { S = ResourceCatalog.Records.LogicalName }, ["key"] = new() { S = $"RECORD#{itemId}" } };
            var inventory = DynamoKeys.Of(tenantId, $"ITEM#{itemId}");
            inventory["itemId"] = new() { S = itemId };
            inventory["kind"] = new() { S = isObject ? "file" : "record" };
            inventory["subjectRef"] = new() { S = subjectRef };
            inventory["category"] = new() { S = isObject ? "recording" : i % 3 == 0 ? "transcript" : "note" };
            inventory["state"] = new() { S = "active" };
            inventory["classification"] = new() { S = "internal" };
            inventory["location"] = new() { M = location };
            inventory["subjectPk"] = new() { S = $"TENANT#{tenantId}#SUBJECT#{subjectRef}" };
            inventory["subjectSk"] = new() { S = $"2026-11-25T00:00:00.000Z#{itemId}" };
            writes.Add((inventoryTable, inventory));
            if (!isObject)
            {
                var record = DynamoKeys.Of(tenantId, $"RECORD#{itemId}");
                record["recordId"] = new() { S = itemId };
                record["subjectRef"] = new() { S = subjectRef };
                record["state"] = new() { S = "active" };
                record["fields"] = new() { M = new() { ["text"] = new() { S = $"benchmark record {i}" } } };
                writes.Add((recordsTable, record));
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
        await Parallel.ForEachAsync(Enumerable.Range(records, objects), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var itemId = $"file_{subjectRef[..4]}{i:D7}";
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = $"{tenantId}/{subjectRef}/{itemId}/f.txt", ContentBody = $"object {i}" }, ct);
        });
    }

    /// <summary>Every inventory item of the subject (full items), read in 1 MB pages of the subject index.</summary>
    private static async Task<List<Dictionary<string, AttributeValue>>> InventoryOfAsync(AmazonDynamoDBClient dynamo, ResourceNames names, string tenantId, string subjectRef)
    {
        var items = new List<Dictionary<string, AttributeValue>>();
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamo.QueryAsync(new QueryRequest
            {
                TableName = names.Table(ResourceCatalog.Inventory),
                IndexName = ResourceCatalog.Inventory.GlobalIndexes[0].Name,
                KeyConditionExpression = "subjectPk = :s",
                ExpressionAttributeValues = new() { [":s"] = new() { S = $"TENANT#{tenantId}#SUBJECT#{subjectRef}" } },
                ExclusiveStartKey = start,
            });
            items.AddRange(page.Items);
            start = page.LastEvaluatedKey is { Count: > 0 } more ? more : null;
        }
        while (start is not null);

        return items;
    }

    /// <summary>
    /// The raw way to hide a subject: every inventory item put back marked soft-deleted, every record read (BatchGetItem) and put
    /// back marked soft-deleted, 25 puts per BatchWriteItem; no conditions, no manifests, no counters.
    /// </summary>
    private static async Task RawHideAsync(AmazonDynamoDBClient dynamo, ResourceNames names, string tenantId, string subjectRef)
    {
        var inventoryTable = names.Table(ResourceCatalog.Inventory);
        var recordsTable = names.Table(ResourceCatalog.Records);
        var inventory = await InventoryOfAsync(dynamo, names, tenantId, subjectRef);
        var puts = new List<(string Table, Dictionary<string, AttributeValue> Item)>();
        foreach (var item in inventory)
        {
            item["state"] = new() { S = "soft_deleted" };
            puts.Add((inventoryTable, item));
        }

        var recordKeys = inventory.Where(i => i["kind"].S == "record").Select(i => DynamoKeys.Of(tenantId, i["location"].M["key"].S)).ToList();
        foreach (var chunk in recordKeys.Chunk(100))
        {
            var request = new Dictionary<string, KeysAndAttributes> { [recordsTable] = new() { Keys = [.. chunk] } };
            while (request.Count > 0)
            {
                var response = await dynamo.BatchGetItemAsync(new BatchGetItemRequest { RequestItems = request });
                foreach (var record in response.Responses.GetValueOrDefault(recordsTable) ?? [])
                {
                    record["state"] = new() { S = "soft_deleted" };
                    puts.Add((recordsTable, record));
                }

                request = response.UnprocessedKeys is { Count: > 0 } more ? more : [];
            }
        }

        await WriteAllAsync(dynamo, puts.Select(p => (p.Table, new WriteRequest { PutRequest = new PutRequest { Item = p.Item } })));
    }

    private static async Task WriteAllAsync(AmazonDynamoDBClient dynamo, IEnumerable<(string Table, WriteRequest Write)> writes)
    {
        foreach (var chunk in writes.Chunk(25))
        {
            var request = chunk.GroupBy(w => w.Table).ToDictionary(g => g.Key, g => g.Select(w => w.Write).ToList());
            while (request.Count > 0)
            {
                var response = await dynamo.BatchWriteItemAsync(new BatchWriteItemRequest { RequestItems = request });
                request = response.UnprocessedItems is { Count: > 0 } left ? left : [];
            }
        }
    }

    /// <summary>Fails the benchmark unless the raw hide left every inventory item and every record of the subject hidden.</summary>
    private static async Task AssertHiddenAsync(AmazonDynamoDBClient dynamo, ResourceNames names, string tenantId, string subjectRef, int items, int records)
    {
        var inventory = await InventoryOfAsync(dynamo, names, tenantId, subjectRef);
        var hidden = inventory.Count(i => i["state"].S == "soft_deleted");
        var recordsHidden = 0;
        var recordsTable = names.Table(ResourceCatalog.Records);
        foreach (var chunk in Enumerable.Range(0, records).Chunk(100))
        {
            var request = new Dictionary<string, KeysAndAttributes>
            {
                [recordsTable] = new() { Keys = [.. chunk.Select(i => DynamoKeys.Of(tenantId, $"RECORD#rec_{subjectRef[..4]}{i:D7}"))], ConsistentRead = true },
            };
            while (request.Count > 0)
            {
                var response = await dynamo.BatchGetItemAsync(new BatchGetItemRequest { RequestItems = request });
                recordsHidden += (response.Responses.GetValueOrDefault(recordsTable) ?? []).Count(r => r["state"].S == "soft_deleted");
                request = response.UnprocessedKeys is { Count: > 0 } more ? more : [];
            }
        }

        if (hidden != items || recordsHidden != records)
        {
            throw new InvalidOperationException($"The raw hide stopped early: {hidden:N0} of {items:N0} inventory items and {recordsHidden:N0} of {records:N0} records hidden.");
        }
    }

    private static async Task RawDeleteAsync(AmazonDynamoDBClient dynamo, AmazonS3Client s3, ResourceNames names, string tenantId, string subjectRef)
    {
        var recordsTable = names.Table(ResourceCatalog.Records);
        var inventoryTable = names.Table(ResourceCatalog.Inventory);
        var bucket = names.Bucket(ResourceCatalog.Data);
        var deletes = new List<(string Table, WriteRequest Write)>();
        foreach (var item in await InventoryOfAsync(dynamo, names, tenantId, subjectRef))
        {
            deletes.Add((inventoryTable, new WriteRequest { DeleteRequest = new DeleteRequest { Key = DynamoKeys.Of(tenantId, item["sk"].S) } }));
            if (item["kind"].S == "record")
            {
                deletes.Add((recordsTable, new WriteRequest { DeleteRequest = new DeleteRequest { Key = DynamoKeys.Of(tenantId, item["location"].M["key"].S) } }));
            }
        }

        await WriteAllAsync(dynamo, deletes);

        // Every listing page first, then the deletes: deleting between pages moves what the next page's markers point at
        // (moto then answers an empty, untruncated page and the loop would stop after the first 1,000 objects).
        var versions = await ListVersionsAsync(s3, bucket, $"{tenantId}/{subjectRef}/");
        foreach (var chunk in versions.Chunk(1000))
        {
            var response = await s3.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = bucket, Objects = [.. chunk] });
            if (response.DeleteErrors is { Count: > 0 } errors)
            {
                throw new InvalidOperationException($"The raw loop could not delete {errors.Count} object version(s): {errors[0].Code} {errors[0].Message}");
            }
        }
    }

    private static async Task<List<KeyVersion>> ListVersionsAsync(AmazonS3Client s3, string bucket, string prefix)
    {
        var versions = new List<KeyVersion>();
        string? keyMarker = null, versionMarker = null;
        bool truncated;
        do
        {
            var page = await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, Prefix = prefix, KeyMarker = keyMarker, VersionIdMarker = versionMarker });
            versions.AddRange((page.Versions ?? []).Select(v => new KeyVersion { Key = v.Key, VersionId = v.VersionId }));
            truncated = page.IsTruncated == true;
            keyMarker = page.NextKeyMarker;
            versionMarker = page.NextVersionIdMarker;
        }
        while (truncated);

        return versions;
    }

    /// <summary>
    /// Fails the benchmark unless the subject is gone: none of its records (looked up by the seeded keys), no object version
    /// under its prefix, and no inventory item other than a purged tombstone.
    /// </summary>
    private static async Task AssertErasedAsync(AmazonDynamoDBClient dynamo, AmazonS3Client s3, ResourceNames names, string tenantId, string subjectRef, int records)
    {
        var recordsTable = names.Table(ResourceCatalog.Records);
        var left = 0;
        foreach (var chunk in Enumerable.Range(0, records).Chunk(100))
        {
            var request = new Dictionary<string, KeysAndAttributes>
            {
                [recordsTable] = new() { Keys = [.. chunk.Select(i => DynamoKeys.Of(tenantId, $"RECORD#rec_{subjectRef[..4]}{i:D7}"))], ConsistentRead = true },
            };
            while (request.Count > 0)
            {
                var response = await dynamo.BatchGetItemAsync(new BatchGetItemRequest { RequestItems = request });
                left += response.Responses.TryGetValue(recordsTable, out var found) ? found.Count : 0;
                request = response.UnprocessedKeys is { Count: > 0 } more ? more : [];
            }
        }

        var objects = (await ListVersionsAsync(s3, names.Bucket(ResourceCatalog.Data), $"{tenantId}/{subjectRef}/")).Count;
        var live = (await InventoryOfAsync(dynamo, names, tenantId, subjectRef)).Count(i => i["state"].S != "purged");
        if (left + objects + live > 0)
        {
            throw new InvalidOperationException(
                $"Subject {subjectRef[..4]}… was not fully erased: {left:N0} record(s), {objects:N0} object version(s) and {live:N0} inventory item(s) remain.");
        }
    }
}
