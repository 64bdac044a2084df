using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Amazon.DynamoDBv2.Model;
using Lethe.Catalog;
using Lethe.Aws.Configuration;

namespace Lethe.Benchmarks;

/// <summary>
/// GET …/records/{id} of a field-encrypted record through the real API (auth, guard, KMS-cached KEK, decrypt, audit write)
/// against a raw DynamoDB GetItem of the same item, on the same local cloud, sequentially after warm-up.
/// </summary>
public static class RecordReadBenchmark
{
    public static async Task<string> RunAsync(string root)
    {
        const int samples = 300;
        await using var bench = await BenchApi.StartAsync(root, "lethe-bench");
        var http = bench.Http;
        var created = await http.PostAsJsonAsync("/v1/tenants/bench/subjects/anna/records", new
        {
            category = "transcript",
            fields = new Dictionary<string, string> { ["body"] = new string('x', 2000), ["title"] = "Session 1" },
        });
        created.EnsureSuccessStatusCode();
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();

        var apiTimes = await TimeAsync(samples, async () => (await http.GetAsync($"/v1/tenants/bench/subjects/anna/records/{id}")).EnsureSuccessStatusCode());
        using var dynamo = bench.Cloud.CreateDynamoDbClient();
        var table = ResourceNames.FromEnvironment().Table(ResourceCatalog.Records);
        var key = new Dictionary<string, AttributeValue> { ["pk"] = new() { S = "TENANT#bench" }, ["sk"] = new() { S = $"RECORD#{id}" } };
        var rawTimes = await TimeAsync(samples, () => dynamo.GetItemAsync(new GetItemRequest { TableName = table, Key = key, ConsistentRead = true }));

        return new StringBuilder()
            .AppendLine("# GET …/records/{id} vs raw DynamoDB GetItem (same local cloud)")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Measured {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores; {samples} sequential requests each after 30 warm-up requests.")
            .AppendLine("The record is a field-encrypted transcript (2 fields, 2 KB). The API path includes JWT validation, the tenant guard, the subject ref,")
            .AppendLine("the cached KEK, decryption of both fields and the audit journal write for a read of sealed fields.")
            .AppendLine()
            .AppendLine("| path | p50 ms | p95 ms | max ms |")
            .AppendLine("|---|---|---|---|")
            .AppendLine(Row("API GET record (decrypt + audit)", apiTimes))
            .AppendLine(Row("raw DynamoDB GetItem", rawTimes))
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Ratio p50: {Percentile(apiTimes, 50) / Percentile(rawTimes, 50):0.0}×, p95: {Percentile(apiTimes, 95) / Percentile(rawTimes, 95):0.0}×.")
            .ToString();
    }

    private static async Task<List<double>> TimeAsync(int samples, Func<Task> call)
    {
        for (var i = 0; i < 30; i++)
        {
            await call();
        }

        var times = new List<double>(samples);
        for (var i = 0; i < samples; i++)
        {
            var watch = Stopwatch.StartNew();
            await call();
            times.Add(watch.Elapsed.TotalMilliseconds);
        }

        return times;
    }

    private static double Percentile(List<double> values, int p)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p / 100.0 * sorted.Length) - 1)];
    }

    private static string Row(string name, List<double> times) =>
        string.Create(CultureInfo.InvariantCulture, $"| {name} | {Percentile(times, 50):0.00} | {Percentile(times, 95):0.00} | {times.Max():0.00} |");
}
