using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Amazon.S3.Model;
using Lethe.Aws.Configuration;
using Lethe.Catalog;

namespace Lethe.Benchmarks;

/// <summary>
/// Issue 16: <see cref="DefaultTranscripts"/> WebVTT transcripts through the whole pipeline on the local cloud (the real API presigns,
/// a PUT lands each in the ingest bucket, S3's notification goes through the ingest queue to the consumer, which scans and
/// starts workflows/ingest.asl.json: normalize, store, derive on pseudonyms, evidence pack, review request), timed until every
/// upload waits for its review (the human step is not the machine's time); against a raw loop that PUTs the same bytes into
/// the data bucket. Reports items/s and AWS calls per item for both (counted at the gateway, the harness's own status reads
/// subtracted), after checking that each did all its work.
/// </summary>
public static class IngestBenchmark
{
    /// <summary>1,000 (issue 16); <c>./lethe bench ingest --items N</c> runs another size (written to its own file).</summary>
    public const int DefaultTranscripts = 1000;
    public const int Subjects = 50;
    private const int Parallel = 8;

    public static async Task<string> RunAsync(string root, int transcripts)
    {
        await using var bench = await BenchApi.StartAsync(root, "lethe-bench-ingest", TimeSpan.FromSeconds(30));
        using var admin = bench.ClientFor("tenant-admin");
        var names = ResourceNames.FromEnvironment();
        for (var s = 0; s < Subjects; s++)
        {
            var granted = await admin.PutAsJsonAsync($"/v1/tenants/bench/subjects/{Subject(s)}/consents/ai-processing", new { granted = true });
            granted.EnsureSuccessStatusCode();
        }

        var contents = Enumerable.Range(0, transcripts).Select(Transcript).ToList();
        var bytes = contents.Sum(c => (long)c.Length);
        using var put = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };

        // Lethe: presign, PUT, and the pipeline takes it from there.
        bench.Cloud.AwsCalls.Reset();
        var invocationsBefore = bench.Cloud.LambdaInvocations;
        var watch = Stopwatch.StartNew();
        var uploads = new ConcurrentDictionary<int, string>();
        await System.Threading.Tasks.Parallel.ForEachAsync(Enumerable.Range(0, transcripts), new ParallelOptions { MaxDegreeOfParallelism = Parallel }, async (i, ct) =>
        {
            uploads[i] = await UploadAsync(bench.Http, put, i, contents[i], ct);
        });
        var landed = watch.Elapsed;
        var statusReads = 0L;
        var waiting = new HashSet<string>(uploads.Values, StringComparer.Ordinal);
        var failed = new List<string>();
        while (waiting.Count > 0 && watch.Elapsed < TimeSpan.FromMinutes(45))
        {
            await Task.Delay(TimeSpan.FromSeconds(2));
            foreach (var id in waiting.ToList())
            {
                var status = (await (await bench.Http.GetAsync($"/v1/tenants/bench/uploads/{id}")).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString();
                statusReads++;
                if (status is "awaiting_review")
                {
                    waiting.Remove(id);
                }
                else if (status is "failed" or "quarantined" or "delivered")
                {
                    var upload = await (await bench.Http.GetAsync($"/v1/tenants/bench/uploads/{id}")).Content.ReadFromJsonAsync<JsonElement>();
                    failed.Add($"{id}: {status} ({upload.GetProperty("reason").GetString()})");
                    waiting.Remove(id);
                }
            }
        }

        var letheSeconds = watch.Elapsed.TotalSeconds;
        // Each status read is one BatchGetItem (the upload row and its item): the harness's, not the pipeline's.
        var letheCalls = bench.Cloud.AwsCalls.Total - statusReads;
        // The tables below leave the harness's reads out too, so they add up to the pipeline's total.
        var byOperation = WithoutHarness(bench.Cloud.AwsCalls.Snapshot(), "DynamoDB_20120810.BatchGetItem", statusReads);
        var byTable = WithoutHarness(bench.Cloud.AwsCalls.SnapshotByTable(), $"BatchGetItem {names.Table(ResourceCatalog.Records)}", statusReads);
        var invocations = bench.Cloud.LambdaInvocations - invocationsBefore;
        if (waiting.Count > 0 || failed.Count > 0)
        {
            throw new InvalidOperationException($"The pipeline did not bring every upload to its review: {waiting.Count} still waiting, {failed.Count} ended otherwise ({string.Join("; ", failed.Take(10))}).");
        }

        var reviews = await CountPendingReviewsAsync(admin);
        if (reviews != transcripts)
        {
            throw new InvalidOperationException($"{reviews} reviews are pending, not {transcripts}: some insight was not derived.");
        }

        // The raw loop: the same bytes PUT into the data bucket, nothing else.
        using var s3 = bench.Cloud.CreateS3Client();
        var bucket = names.Bucket(ResourceCatalog.Data);
        bench.Cloud.AwsCalls.Reset();
        watch.Restart();
        await System.Threading.Tasks.Parallel.ForEachAsync(Enumerable.Range(0, transcripts), new ParallelOptions { MaxDegreeOfParallelism = Parallel }, async (i, ct) =>
        {
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = $"raw/{i}.vtt", ContentBody = contents[i], ContentType = "text/vtt" }, ct);
        });
        var rawSeconds = watch.Elapsed.TotalSeconds;
        var rawCalls = bench.Cloud.AwsCalls.Total;
        var stored = 0;
        string? marker = null;
        do
        {
            var page = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = "raw/", ContinuationToken = marker });
            stored += page.S3Objects?.Count ?? 0;
            marker = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (marker is not null);

        if (stored != transcripts)
        {
            throw new InvalidOperationException($"The raw loop stored {stored} objects, not {transcripts}.");
        }

        var letheRate = transcripts / letheSeconds;
        var rawRate = transcripts / rawSeconds;
        var top = byOperation.OrderByDescending(o => o.Value).Take(12).Select(o => string.Create(CultureInfo.InvariantCulture, $"| {o.Key} | {o.Value:N0} | {(double)o.Value / transcripts:0.00} |"));
        return new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"# Ingest: {transcripts:N0} transcripts through the pipeline vs a raw put loop")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Measured {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores, local cloud (moto), {Parallel} clients.")
            .AppendLine(CultureInfo.InvariantCulture, $"{transcripts:N0} WebVTT transcripts ({bytes / 1024.0:N0} KiB in all, each with an e-mail address and a phone number) of {Subjects} subjects who granted `ai-processing`.")
            .AppendLine()
            .AppendLine("| path | seconds | items/s | AWS calls | calls per item |")
            .AppendLine("|---|---|---|---|---|")
            .AppendLine(CultureInfo.InvariantCulture, $"| Lethe: presign, PUT, queue, scan, normalize, store (encrypted), derive (pseudonymized), evidence pack, review request | {letheSeconds:0.0} | {letheRate:0.0} | {letheCalls:N0} | {(double)letheCalls / transcripts:0.0} |")
            .AppendLine(CultureInfo.InvariantCulture, $"| raw: PutObject of the same bytes | {rawSeconds:0.0} | {rawRate:0.0} | {rawCalls:N0} | {(double)rawCalls / transcripts:0.0} |")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"All {transcripts:N0} objects were PUT after {landed.TotalSeconds:0.0} s; every upload then reached `awaiting_review` with a pending review, and the raw loop's {stored:N0} objects were listed back.")
            .AppendLine(CultureInfo.InvariantCulture, $"Lambda invocations of the pipeline: {invocations:N0} ({(double)invocations / transcripts:0.0} per item); {statusReads:N0} status reads of the harness are not counted.")
            .AppendLine()
            .AppendLine("Lethe's calls by operation (top 12):")
            .AppendLine()
            .AppendLine("| operation | calls | per item |")
            .AppendLine("|---|---|---|")
            .AppendLine(string.Join(Environment.NewLine, top))
            .AppendLine()
            .AppendLine("DynamoDB calls by operation and the table they name first (top 15):")
            .AppendLine()
            .AppendLine("| operation and table | calls | per item |")
            .AppendLine("|---|---|---|")
            .AppendLine(string.Join(Environment.NewLine, byTable.OrderByDescending(o => o.Value).Take(15)
                .Select(o => string.Create(CultureInfo.InvariantCulture, $"| {o.Key} | {o.Value:N0} | {(double)o.Value / transcripts:0.00} |"))))
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"items/s {letheRate:0.0} (raw {rawRate:0.0}), speed ratio {letheRate / rawRate:0.000}, calls per item {(double)letheCalls / transcripts:0.0} (raw {(double)rawCalls / transcripts:0.0})")
            .ToString();
    }

    /// <summary>The counts with <paramref name="harness"/> calls taken off <paramref name="key"/> (the harness's own status reads).</summary>
    private static Dictionary<string, long> WithoutHarness(IReadOnlyDictionary<string, long> counts, string key, long harness)
    {
        var pipeline = new Dictionary<string, long>(counts, StringComparer.Ordinal);
        if (pipeline.GetValueOrDefault(key) < harness)
        {
            throw new InvalidOperationException($"{key} was counted {pipeline.GetValueOrDefault(key)} times, fewer than the harness's own {harness} status reads: the counts are not what this report assumes.");
        }

        pipeline[key] -= harness;
        return pipeline;
    }

    private static string Subject(int s) => $"client-{s:D3}";

    private static string Transcript(int i) =>
        "WEBVTT\n\n" +
        $"00:00:01.000 --> 00:00:09.000\n<v Coach>Welcome back to session {i}. Last time we talked about your leadership goals and the quarterly planning.</v>\n\n" +
        $"00:00:10.000 --> 00:00:19.000\n<v Client {i % Subjects}>Thanks. Reach me at client{i}@example.com or +44 20 7946 {i % 10000:D4} if the planning moves.</v>\n\n" +
        "00:00:20.000 --> 00:00:29.000\n<v Coach>What made the planning harder this month, and how did the team respond to the new leadership routine?</v>\n\n" +
        $"00:00:30.000 --> 00:00:39.000\n<v Client {i % Subjects}>The deadlines piled up again. The leadership routine helped, and the planning workshop on day {i % 28 + 1} was useful.</v>\n";

    private static async Task<string> UploadAsync(HttpClient api, HttpClient put, int i, string content, CancellationToken ct)
    {
        var body = Encoding.UTF8.GetBytes(content);
        var created = await api.PostAsJsonAsync("/v1/tenants/bench/uploads",
            new { subjectId = Subject(i % Subjects), category = "transcript", fileName = $"session-{i}.vtt", contentType = "text/vtt", sizeBytes = body.Length }, ct);
        created.EnsureSuccessStatusCode();
        var link = await created.Content.ReadFromJsonAsync<JsonElement>(ct);
        using var request = new HttpRequestMessage(HttpMethod.Put, link.GetProperty("url").GetString()) { Content = new ByteArrayContent(body) };
        foreach (var header in link.GetProperty("headers").EnumerateObject())
        {
            if (!request.Headers.TryAddWithoutValidation(header.Name, header.Value.GetString()))
            {
                request.Content.Headers.TryAddWithoutValidation(header.Name, header.Value.GetString());
            }
        }

        (await put.SendAsync(request, ct)).EnsureSuccessStatusCode();
        return link.GetProperty("uploadId").GetString()!;
    }

    private static async Task<int> CountPendingReviewsAsync(HttpClient admin)
    {
        var count = 0;
        string? cursor = null;
        do
        {
            var page = await admin.GetFromJsonAsync<JsonElement>($"/v1/tenants/bench/reviews?status=pending&limit=50{(cursor is null ? string.Empty : $"&cursor={Uri.EscapeDataString(cursor)}")}");
            count += page.GetProperty("items").GetArrayLength();
            cursor = page.GetProperty("nextCursor").ValueKind == JsonValueKind.String ? page.GetProperty("nextCursor").GetString() : null;
        }
        while (cursor is not null);

        return count;
    }
}
