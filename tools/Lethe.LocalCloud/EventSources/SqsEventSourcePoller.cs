using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.SQS;
using Amazon.SQS.Model;
using Lethe.LocalCloud.Gateway;
using Microsoft.Extensions.Logging;

namespace Lethe.LocalCloud.EventSources;

/// <summary>
/// The local stand-in for an SQS event-source mapping with <c>ReportBatchItemFailures</c>: long-polls the queue, invokes the
/// handler with batches of up to <see cref="BatchSize"/> messages in Lambda's SQS event shape (attributes included, so the
/// handler sees <c>ApproximateReceiveCount</c>), deletes what succeeded, and returns the reported failures (all of them when the
/// invocation itself failed) to the queue after <paramref name="retryDelay"/>; the queue's redrive policy moves a message that
/// keeps failing to its dead-letter queue on the receive after its last allowed one, as SQS does in AWS.
/// </summary>
public sealed class SqsEventSourcePoller : IAsyncDisposable
{
    /// <summary>The event-source mapping's BatchSize (the CDK app's).</summary>
    public const int BatchSize = 10;

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private SqsEventSourcePoller(Func<CancellationToken, Task> run)
    {
        _loop = Task.Run(() => run(_stop.Token));
    }

    /// <param name="retryDelay">
    /// How long a failed message stays invisible before it comes back: the queue's visibility timeout in AWS (6 minutes);
    /// shortened locally so a poison message reaches the DLQ in seconds.
    /// </param>
    public static SqsEventSourcePoller Start(IAmazonSQS sqs, string queueUrl, string queueArn, string region, string functionName, TimeSpan retryDelay, LambdaInvoker invoker, ILogger logger) =>
        new(stopping => RunAsync(sqs, queueUrl, queueArn, region, functionName, retryDelay, invoker, logger, stopping));

    private static async Task RunAsync(
        IAmazonSQS sqs, string queueUrl, string queueArn, string region, string functionName, TimeSpan retryDelay, LambdaInvoker invoker, ILogger logger, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var received = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest
                {
                    QueueUrl = queueUrl,
                    MaxNumberOfMessages = BatchSize,
                    WaitTimeSeconds = 1,
                    MessageSystemAttributeNames = ["All"],
                    MessageAttributeNames = ["All"],
                }, stopping);
                if (received.Messages is not { Count: > 0 } messages)
                {
                    continue;
                }

                var result = await invoker.InvokeAsync(functionName, Event(messages, queueArn, region), stopping);
                var failed = result.FunctionError is not null
                    ? messages.Select(m => m.MessageId).ToHashSet(StringComparer.Ordinal)
                    : FailedIds(result.Payload);
                if (result.FunctionError is not null)
                {
                    logger.LogWarning("{Function} failed on a batch of {Count}: {Error}", functionName, messages.Count, System.Text.Encoding.UTF8.GetString(result.Payload));
                }

                var done = messages.Where(m => !failed.Contains(m.MessageId)).ToList();
                if (done.Count > 0)
                {
                    await sqs.DeleteMessageBatchAsync(queueUrl, [.. done.Select((m, i) => new DeleteMessageBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), m.ReceiptHandle))], stopping);
                }

                foreach (var message in messages.Where(m => failed.Contains(m.MessageId)))
                {
                    await sqs.ChangeMessageVisibilityAsync(queueUrl, message.ReceiptHandle, (int)retryDelay.TotalSeconds, stopping);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Polling {Queue} for {Function} failed; polling again", queueUrl, functionName);
                await Task.Delay(TimeSpan.FromSeconds(1), stopping).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>Lambda's SQS event: <c>{"Records":[{messageId, receiptHandle, body, attributes, messageAttributes, md5OfBody, eventSource, eventSourceARN, awsRegion}]}</c>.</summary>
    private static byte[] Event(List<Message> messages, string queueArn, string region)
    {
        var records = new JsonArray();
        foreach (var message in messages)
        {
            var attributes = new JsonObject();
            foreach (var (name, value) in message.Attributes ?? [])
            {
                attributes[name] = value;
            }

            records.Add(new JsonObject
            {
                ["messageId"] = message.MessageId,
                ["receiptHandle"] = message.ReceiptHandle,
                ["body"] = message.Body,
                ["attributes"] = attributes,
                ["messageAttributes"] = new JsonObject(),
                ["md5OfBody"] = message.MD5OfBody,
                ["eventSource"] = "aws:sqs",
                ["eventSourceARN"] = queueArn,
                ["awsRegion"] = region,
            });
        }

        return System.Text.Encoding.UTF8.GetBytes(new JsonObject { ["Records"] = records }.ToJsonString());
    }

    private static HashSet<string> FailedIds(byte[] payload)
    {
        using var document = JsonDocument.Parse(payload);
        return document.RootElement.TryGetProperty("batchItemFailures", out var failures) && failures.ValueKind == JsonValueKind.Array
            ? failures.EnumerateArray().Select(f => f.GetProperty("itemIdentifier").GetString() ?? string.Empty).ToHashSet(StringComparer.Ordinal)
            : [];
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
