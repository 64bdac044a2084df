using System.Globalization;
using System.Text.Json;
using Lethe.Catalog;
using Lethe.Domain.Errors;
using Lethe.Domain.Ingest;
using Lethe.Lambda;
using Lethe.Lambda.Events;
using Lethe.Lambda.Runtime;

namespace Lethe.Functions.Ingest;

/// <summary>
/// The ingest queue's consumer (S3 ObjectCreated → SQS → here): each message's objects go to the receiver; a message that fails
/// is reported alone (<c>batchItemFailures</c>) and comes back after the visibility timeout, the rest of the batch is done. On
/// its last receive (the queue's maxReceiveCount) the upload it names ends <c>failed</c> before the message goes to the DLQ.
/// </summary>
public sealed class IngestReceiveHandler(IngestReceiver receiver, string ingestBucket)
    : LambdaHandler<SqsEvent, SqsBatchResponse>(LambdaJsonContext.Default.SqsEvent, LambdaJsonContext.Default.SqsBatchResponse)
{
    protected override async Task<SqsBatchResponse> HandleAsync(SqsEvent input, ILambdaContext context, CancellationToken cancellationToken)
    {
        var failed = new List<string>();
        foreach (var message in input.Records)
        {
            var keys = new List<string>();
            try
            {
                keys = Keys(message.Body);
                foreach (var key in keys)
                {
                    await receiver.ReceiveAsync(key, cancellationToken);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                failed.Add(message.MessageId);
                if (IsLastReceive(message))
                {
                    var reason = $"{IngestReceiver.GaveUpPrefix} {ResourceCatalog.IngestQueue.MaxReceiveCount} attempts ({(ex as LetheException)?.ErrorType ?? ex.GetType().Name}).";
                    foreach (var key in keys)
                    {
                        await receiver.GiveUpAsync(key, reason, cancellationToken);
                    }
                }
            }
        }

        return SqsBatchResponse.Failed(failed);
    }

    /// <summary>The ingest bucket's created objects a message names; an S3 test event names none. Anything unreadable throws.</summary>
    private List<string> Keys(string body)
    {
        using var document = JsonDocument.Parse(body);
        if (!document.RootElement.TryGetProperty("Records", out _))
        {
            return document.RootElement.TryGetProperty("Event", out var kind) && kind.GetString() == "s3:TestEvent"
                ? []
                : throw new JsonException("The message is not an S3 event notification.");
        }

        var notification = document.RootElement.Deserialize(LambdaJsonContext.Default.S3Event) ?? throw new JsonException("The message is an empty S3 event.");
        return notification.Records
            .Where(r => r.EventName.StartsWith("ObjectCreated:", StringComparison.Ordinal) && r.S3.Bucket.Name == ingestBucket)
            .Select(r => r.S3.Object.DecodedKey)
            .ToList();
    }

    private static bool IsLastReceive(SqsMessage message) =>
        message.Attributes?.GetValueOrDefault("ApproximateReceiveCount") is { } text
        && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var count)
        && count >= ResourceCatalog.IngestQueue.MaxReceiveCount;
}
