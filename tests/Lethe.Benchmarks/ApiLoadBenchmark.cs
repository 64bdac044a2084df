using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Configuration;
using Lethe.Catalog;
using Lethe.LocalCloud.Gateway;

namespace Lethe.Benchmarks;

/// <summary>
/// <c>./lethe bench api</c>: the API under concurrent load against the raw store calls it stands for, in one process on one
/// local cloud. 32 readers of field-encrypted records (GET …/records/{id}: token, guard, keys, decrypt, audited read) beside 32
/// raw GetItem readers of the same items through the same gateway; then 32 raw PutItem writers beside 32 record writers
/// (POST …/records: encrypt, inventory, audit). The chain lag is the time from the last write's response until audit/verify
/// counts every journal event of the tenant.
/// </summary>
public static class ApiLoadBenchmark
{
    public const int Clients = 32;
    public static readonly TimeSpan Duration = TimeSpan.FromSeconds(20);
    private const string Tenant = "bench";
    private const int Subjects = 32;
    private const int RecordsPerSubject = 2;
    private static readonly string Body = new('x', 2000);

    public sealed record Phase(string Name, List<double> Latencies, IReadOnlyDictionary<string, int> Errors, TimeSpan Elapsed, IReadOnlyDictionary<string, long> Calls)
    {
        public int ErrorCount => Errors.Values.Sum();

        public int Completed => Latencies.Count;

        public double PerSecond => Completed / Elapsed.TotalSeconds;

        public double P(int percentile)
        {
            if (Latencies.Count == 0)
            {
                return double.NaN;
            }

            var sorted = Latencies.Order().ToArray();
            return sorted[Math.Clamp((int)Math.Ceiling(percentile / 100.0 * sorted.Length) - 1, 0, sorted.Length - 1)];
        }
    }

    public static async Task<string> RunAsync(string root)
    {
        await using var bench = await BenchApi.StartAsync(root, "lethe-bench-api");
        var http = bench.Http;
        using var dynamo = bench.Cloud.CreateDynamoDbClient();
        var names = ResourceNames.FromEnvironment();
        var recordsTable = names.Table(ResourceCatalog.Records);

        Console.WriteLine($"  seeding {Subjects * RecordsPerSubject} encrypted records of {Subjects} subjects ...");
        var records = new List<(string Subject, string Id)>();
        for (var s = 0; s < Subjects; s++)
        {
            for (var r = 0; r < RecordsPerSubject; r++)
            {
                var subject = $"reader-{s:00}";
                records.Add((subject, await CreateRecordAsync(http, subject, r)));
            }
        }

        // Warm-up (JIT, connection pools, caches) of both paths; not measured.
        await RunPhaseAsync(bench.Cloud.AwsCalls, "warm-up", TimeSpan.FromSeconds(3), (worker, i) => ReadAsync(http, records[(worker + i) % records.Count]));
        await RunPhaseAsync(bench.Cloud.AwsCalls, "warm-up", TimeSpan.FromSeconds(2), (worker, i) => RawGetAsync(dynamo, recordsTable, records[(worker + i) % records.Count].Id));
        await WaitForChainAsync(bench, dynamo, names, TimeSpan.FromMinutes(5));

        Console.WriteLine($"  {Clients} API readers for {Duration.TotalSeconds:0} s ...");
        var apiRead = await RunPhaseAsync(bench.Cloud.AwsCalls, "API GET record", Duration, (worker, i) => ReadAsync(http, records[Random.Shared.Next(records.Count)]));
        await WaitForChainAsync(bench, dynamo, names, TimeSpan.FromMinutes(5));
        Console.WriteLine($"  {Clients} raw GetItem readers for {Duration.TotalSeconds:0} s ...");
        var rawRead = await RunPhaseAsync(bench.Cloud.AwsCalls, "raw GetItem", Duration, (worker, i) => RawGetAsync(dynamo, recordsTable, records[Random.Shared.Next(records.Count)].Id));
        Console.WriteLine($"  {Clients} raw PutItem writers for {Duration.TotalSeconds:0} s ...");
        var rawWrite = await RunPhaseAsync(bench.Cloud.AwsCalls, "raw PutItem", Duration, (worker, i) => RawPutAsync(dynamo, recordsTable, worker, i));
        Console.WriteLine($"  {Clients} API writers for {Duration.TotalSeconds:0} s ...");
        var apiWrite = await RunPhaseAsync(bench.Cloud.AwsCalls, "API POST record", Duration, async (worker, i) =>
            await CreateRecordAsync(http, $"writer-{worker:00}", i) is { Length: > 0 });
        var lastWrite = Stopwatch.StartNew();
        var (chainLag, events, lastVerify) = await WaitForChainAsync(bench, dynamo, names, TimeSpan.FromMinutes(10), lastWrite);

        // The baselines really did their work: every raw reader found the item, every raw put is in the table.
        var stored = await CountAsync(dynamo, recordsTable, $"TENANT#{Tenant}-raw", "RAW#");
        if (stored != rawWrite.Completed)
        {
            throw new InvalidOperationException($"The raw writers report {rawWrite.Completed} puts, but the table holds {stored} of their items.");
        }

        return Report(apiRead, rawRead, apiWrite, rawWrite, chainLag, events, lastVerify);
    }

    private static async Task<Phase> RunPhaseAsync(AwsCallCounter counter, string name, TimeSpan duration, Func<int, int, Task<bool>> call)
    {
        var before = Snapshot(counter);
        var latencies = new ConcurrentBag<double>();
        var errors = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var total = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, Clients).Select(worker => Task.Run(async () =>
        {
            for (var i = 0; total.Elapsed < duration; i++)
            {
                var watch = Stopwatch.StartNew();
                string? error;
                try
                {
                    error = await call(worker, i) ? null : "wrong answer";
                }
#pragma warning disable CA1031 // A failed request is counted as an error of the phase, never thrown out of the load.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    error = $"{ex.GetType().Name}: {ex.Message}";
                }

                if (error is null)
                {
                    latencies.Add(watch.Elapsed.TotalMilliseconds);
                }
                else
                {
                    errors.AddOrUpdate(error.Length > 120 ? error[..120] : error, 1, (_, n) => n + 1);
                }
            }
        })).ToList();
        await Task.WhenAll(workers);
        var after = Snapshot(counter);
        var calls = after.ToDictionary(c => c.Key, c => c.Value - before.GetValueOrDefault(c.Key), StringComparer.Ordinal);
        return new Phase(name, [.. latencies], new Dictionary<string, int>(errors, StringComparer.Ordinal), total.Elapsed, calls);
    }

    /// <summary>DynamoDB calls by operation and table, every other AWS call by operation.</summary>
    private static Dictionary<string, long> Snapshot(AwsCallCounter counter) =>
        counter.SnapshotByTable().Concat(counter.Snapshot().Where(c => !c.Key.StartsWith("DynamoDB_", StringComparison.Ordinal)))
            .ToDictionary(c => c.Key, c => c.Value, StringComparer.Ordinal);

    private static async Task<string> CreateRecordAsync(HttpClient http, string subject, int n)
    {
        using var created = await http.PostAsJsonAsync($"/v1/tenants/{Tenant}/subjects/{subject}/records", new
        {
            category = "transcript",
            fields = new Dictionary<string, string> { ["body"] = Body, ["title"] = $"Session {n}" },
        });
        if (!created.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"POST record answered {(int)created.StatusCode}");
        }

        using var json = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("id").GetString()!;
    }

    private static async Task<bool> ReadAsync(HttpClient http, (string Subject, string Id) record)
    {
        using var response = await http.GetAsync($"/v1/tenants/{Tenant}/subjects/{record.Subject}/records/{record.Id}");
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"GET record answered {(int)response.StatusCode}");
        }

        // The fields came back decrypted (the body is the seeded text).
        return (await response.Content.ReadAsStringAsync()).Contains(Body, StringComparison.Ordinal);
    }

    private static async Task<bool> RawGetAsync(AmazonDynamoDBClient dynamo, string table, string id)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = table,
            Key = new() { ["pk"] = new() { S = $"TENANT#{Tenant}" }, ["sk"] = new() { S = $"RECORD#{id}" } },
            ConsistentRead = true,
        });
        return response.IsItemSet && response.Item.Count > 2;
    }

    private static async Task<bool> RawPutAsync(AmazonDynamoDBClient dynamo, string table, int worker, int i)
    {
        await dynamo.PutItemAsync(new PutItemRequest
        {
            TableName = table,
            Item = new()
            {
                ["pk"] = new() { S = $"TENANT#{Tenant}-raw" },
                ["sk"] = new() { S = $"RAW#{worker:00}#{i:000000}" },
                ["body"] = new() { S = Body },
                ["title"] = new() { S = $"Session {i}" },
            },
        });
        return true;
    }

    /// <summary>Waits until audit/verify counts every journal event of the tenant; returns how long that took and the count.</summary>
    private static async Task<(TimeSpan Lag, int Events, TimeSpan LastVerify)> WaitForChainAsync(BenchApi bench, AmazonDynamoDBClient dynamo, ResourceNames names, TimeSpan limit, Stopwatch? since = null)
    {
        since ??= Stopwatch.StartNew();
        var events = await CountAsync(dynamo, names.Table(ResourceCatalog.Audit), $"TENANT#{Tenant}", "EVENT#");
        while (true)
        {
            var call = Stopwatch.StartNew();
            using var verify = await bench.Auditor.GetAsync($"/v1/tenants/{Tenant}/audit/verify?from=1");
            using var json = JsonDocument.Parse(await verify.Content.ReadAsStringAsync());
            var root = json.RootElement;
            // A chain that is behind by more than a minute is reported broken with that reason: here that is lag, not damage.
            var behind = root.TryGetProperty("reason", out var reason) && reason.ValueKind == JsonValueKind.String && reason.GetString()!.Contains("to be chained", StringComparison.Ordinal);
            if (!verify.IsSuccessStatusCode || (!root.GetProperty("valid").GetBoolean() && !behind))
            {
                throw new InvalidOperationException($"audit/verify answered {(int)verify.StatusCode}: {root}");
            }

            if (!behind && root.GetProperty("records").GetInt32() >= events)
            {
                return (since.Elapsed, events, call.Elapsed);
            }

            if (since.Elapsed > limit)
            {
                throw new InvalidOperationException($"The chain did not count all {events} events within {limit.TotalMinutes:0} min: {root}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
    }

    private static async Task<int> CountAsync(AmazonDynamoDBClient dynamo, string table, string pk, string prefix)
    {
        var count = 0;
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamo.QueryAsync(new QueryRequest
            {
                TableName = table,
                KeyConditionExpression = "pk = :pk AND begins_with(sk, :prefix)",
                ExpressionAttributeValues = new() { [":pk"] = new() { S = pk }, [":prefix"] = new() { S = prefix } },
                Select = Select.COUNT,
                ConsistentRead = true,
                ExclusiveStartKey = start,
            });
            count += page.Count ?? 0;
            start = page.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (start is not null);
        return count;
    }

    private static string Report(Phase apiRead, Phase rawRead, Phase apiWrite, Phase rawWrite, TimeSpan chainLag, int events, TimeSpan lastVerify)
    {
        string Row(Phase p) => string.Create(CultureInfo.InvariantCulture,
            $"| {p.Name} | {p.Completed:N0} | {p.PerSecond:0.0} | {p.P(50):0.0} | {p.P(95):0.0} | {p.P(99):0.0} | {p.ErrorCount} |");
        string Calls(Phase p) => $"- {p.Name}: " + string.Join(", ", p.Calls.Where(c => c.Value > 0).OrderByDescending(c => c.Value)
            .Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Key} {(double)c.Value / Math.Max(1, p.Completed):0.00}")));
        var read = apiRead.P(95) / rawRead.P(95);
        static string ErrorLines(params Phase[] phases) => phases.Any(p => p.ErrorCount > 0)
            ? string.Join(Environment.NewLine, phases.SelectMany(p => p.Errors.Select(e => string.Create(CultureInfo.InvariantCulture, $"- {p.Name}: {e.Value} × {e.Key}")))) + Environment.NewLine
            : "No request failed." + Environment.NewLine;
        var write = apiWrite.P(95) / rawWrite.P(95);
        return new StringBuilder()
            .AppendLine("# The API under load: 32 concurrent clients against the raw store calls")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Measured {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores, in one process against one local cloud (moto behind the gateway).")
            .AppendLine(CultureInfo.InvariantCulture, $"Each phase: {Clients} concurrent clients for {Duration.TotalSeconds:0} s, closed loop, after a warm-up. Reads pick one of {Subjects * RecordsPerSubject} field-encrypted")
            .AppendLine("transcripts (2 fields, 2 KB) of 32 subjects at random; the raw readers GetItem (consistent) the same items through the same gateway.")
            .AppendLine("Writers create 2 KB transcripts, each writer for its own subject; the raw writers PutItem items of the same fields.")
            .AppendLine()
            .AppendLine("| phase | requests | per s | p50 ms | p95 ms | p99 ms | errors |")
            .AppendLine("|---|---|---|---|---|---|---|")
            .AppendLine(Row(apiRead))
            .AppendLine(Row(rawRead))
            .AppendLine(Row(apiWrite))
            .AppendLine(Row(rawWrite))
            .AppendLine()
            .AppendLine(ErrorLines(apiRead, rawRead, apiWrite, rawWrite))
            .AppendLine(CultureInfo.InvariantCulture, $"Chain lag: {chainLag.TotalSeconds:0.0} s from the last write's response until audit/verify counted all {events:N0} journal events (that last verify, which recomputes every hash from seq 1, took {lastVerify.TotalSeconds:0.0} s of it).")
            .AppendLine()
            .AppendLine("AWS calls per completed request in each phase, by operation (the audit chainer and the stream poller run meanwhile and count too):")
            .AppendLine()
            .AppendLine(Calls(apiRead))
            .AppendLine(Calls(rawRead))
            .AppendLine(Calls(apiWrite))
            .AppendLine(Calls(rawWrite))
            .AppendLine()
            .AppendLine(string.Create(CultureInfo.InvariantCulture, $"read p95 ratio {read:0.00}, write p95 ratio {write:0.00}, chain lag {chainLag.TotalSeconds:0.0} s"))
            .ToString();
    }
}
