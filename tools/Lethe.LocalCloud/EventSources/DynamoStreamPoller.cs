using System.Text.Json;
using Amazon.DynamoDBv2;
using Lethe.LocalCloud.Gateway;
using Microsoft.Extensions.Logging;

namespace Lethe.LocalCloud.EventSources;

/// <summary>
/// The local stand-in for a DynamoDB Streams event-source mapping: reads a table's stream and invokes the same handler AWS
/// would, with the same event shape, in order per shard, for the records the mapping's filter lets through (a batch filtered
/// empty only moves the position, as Lambda does). A failed invocation is retried with the same batch (as Lambda does for
/// stream sources), so nothing is skipped.
/// </summary>
public sealed class DynamoStreamPoller : IAsyncDisposable
{
    private static readonly TimeSpan Idle = TimeSpan.FromMilliseconds(100);

    /// <summary>The event-source mapping's BatchSize (the CDK app's).</summary>
    private const int BatchSize = 100;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <summary>A record's event name and sort key: what the event-source mapping's filter sees.</summary>
    public delegate bool RecordFilter(string? eventName, string? sortKey);

    private DynamoStreamPoller(Func<CancellationToken, Task> run)
    {
        _loop = Task.Run(() => run(_stop.Token));
    }

    public static DynamoStreamPoller Start(
        IAmazonDynamoDB dynamo, DynamoStreamsClient streams, string tableName, string functionName, RecordFilter filter, LambdaInvoker invoker, ILogger logger) =>
        new(stopping => RunAsync(dynamo, streams, tableName, functionName, filter, invoker, logger, stopping));

    private static bool Passes(RecordFilter filter, JsonElement record) => filter(
        record.TryGetProperty("eventName", out var name) ? name.GetString() : null,
        record.TryGetProperty("dynamodb", out var change) && change.TryGetProperty("Keys", out var keys) && keys.TryGetProperty("sk", out var sk)
            && sk.TryGetProperty("S", out var value) ? value.GetString() : null);

    private static async Task RunAsync(
        IAmazonDynamoDB dynamo, DynamoStreamsClient streams, string tableName, string functionName, RecordFilter filter, LambdaInvoker invoker, ILogger logger, CancellationToken stopping)
    {
        var lastSequence = new Dictionary<string, string?>(StringComparer.Ordinal);
        string? streamArn = null;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                streamArn ??= (await dynamo.DescribeTableAsync(tableName, stopping)).Table.LatestStreamArn;
                var shards = (await streams.DescribeStreamAsync(streamArn, stopping)).StreamDescription.Shards;
                var delivered = false;
                foreach (var shard in shards)
                {
                    // Always from the last sequence number delivered, never a chained iterator: moto restores a whole table
                    // object (its stream shard included) when a transaction on it is cancelled, and an old iterator then
                    // keeps reading the discarded shard forever (measured: the audit chain stopped after a cancelled write).
                    var iterator = (await streams.GetShardIteratorAsync(
                        lastSequence.TryGetValue(shard.ShardId, out var last) && last is not null
                            ? new GetShardIteratorRequest(streamArn, shard.ShardId, "AFTER_SEQUENCE_NUMBER", last)
                            : new GetShardIteratorRequest(streamArn, shard.ShardId, "TRIM_HORIZON"),
                        stopping)).ShardIterator;
                    if (iterator is null)
                    {
                        continue;
                    }

                    // Like the event source: filter first, then batch (up to BatchSize records that pass), from up to the
                    // 1,000 records one GetRecords returns; the position moves to the last record taken.
                    var batch = await streams.GetRecordsAsync(new GetRecordsRequest(iterator, 1000), stopping);
                    if (batch.Records.Count == 0)
                    {
                        continue;
                    }

                    var passed = new List<JsonElement>(BatchSize);
                    var taken = 0;
                    while (taken < batch.Records.Count && passed.Count < BatchSize)
                    {
                        if (Passes(filter, batch.Records[taken]))
                        {
                            passed.Add(batch.Records[taken]);
                        }

                        taken++;
                    }

                    var batchEnd = batch.Records[taken - 1].GetProperty("dynamodb").GetProperty("SequenceNumber").GetString();
                    if (passed.Count == 0)
                    {
                        lastSequence[shard.ShardId] = batchEnd;
                        delivered = true;
                        continue;
                    }

                    var started = System.Diagnostics.Stopwatch.StartNew();
                    var result = await invoker.InvokeAsync(functionName, Serialize(passed, streamArn), stopping);
                    if (started.Elapsed > TimeSpan.FromSeconds(5))
                    {
                        logger.LogWarning("{Function} took {Seconds:0.0} s for a stream batch of {Count}", functionName, started.Elapsed.TotalSeconds, passed.Count);
                    }

                    if (result.FunctionError is not null)
                    {
                        // The same batch again next round (the position does not move).
                        logger.LogWarning("{Function} failed on a stream batch of {Count}; retrying it", functionName, passed.Count);
                        continue;
                    }

                    lastSequence[shard.ShardId] = batchEnd;
                    delivered = true;
                }

                if (!delivered)
                {
                    await Task.Delay(Idle, stopping);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // A poller must outlive a hiccup of moto; it logs and tries again.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                logger.LogWarning(ex, "Polling the stream of {Table} failed; retrying", tableName);
                await Task.Delay(TimeSpan.FromMilliseconds(500), stopping).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>The Lambda event for a stream batch: the records as the stream gives them, with their source.</summary>
    private static byte[] Serialize(IReadOnlyList<JsonElement> records, string streamArn)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("Records");
            foreach (var record in records)
            {
                json.WriteStartObject();
                foreach (var property in record.EnumerateObject())
                {
                    property.WriteTo(json);
                }

                json.WriteString("eventSource", "aws:dynamodb");
                json.WriteString("eventSourceARN", streamArn);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}
