using System.Text.Json;

namespace Lethe.Tests.Integration.Fixtures;

/// <summary>An SQS queue subscribed to the notifications topic (raw delivery): what subscribers of the topic receive.</summary>
public sealed class NoticeInbox(LocalCloudFixture cloud, Amazon.SQS.AmazonSQSClient sqs, string queueUrl, string subscriptionArn) : IAsyncDisposable
{
    public static async Task<NoticeInbox> SubscribeAsync(LocalCloudFixture cloud)
    {
        var sqs = cloud.Cloud.CreateSqsClient();
        var queueUrl = (await sqs.CreateQueueAsync($"notices-{Guid.NewGuid():N}", TestContext.Current.CancellationToken)).QueueUrl;
        var attributes = await sqs.GetQueueAttributesAsync(queueUrl, ["QueueArn"], TestContext.Current.CancellationToken);
        var topicArn = Environment.GetEnvironmentVariable(Catalog.ResourceCatalog.Notifications.ArnVariable)
            ?? throw new InvalidOperationException("The local cloud named no notifications topic.");
        var subscription = await cloud.Cloud.Sns.SubscribeQueueAsync(topicArn, attributes.QueueARN, TestContext.Current.CancellationToken);
        return new NoticeInbox(cloud, sqs, queueUrl, subscription);
    }

    /// <summary>The first notice that matches, waiting for it (other tests' notices share the topic and are skipped).</summary>
    public async Task<JsonElement> NextAsync(Func<JsonElement, bool> wanted)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            var received = await sqs.ReceiveMessageAsync(new Amazon.SQS.Model.ReceiveMessageRequest { QueueUrl = queueUrl, MaxNumberOfMessages = 10, WaitTimeSeconds = 1 }, deadline.Token);
            foreach (var message in received.Messages ?? [])
            {
                var notice = JsonDocument.Parse(message.Body).RootElement.Clone();
                if (wanted(notice))
                {
                    return notice;
                }
            }
        }
    }

    /// <summary>Unsubscribes first: moto fails every publish to a topic whose subscribed queue is gone (AWS's SNS would drop the delivery).</summary>
    public async ValueTask DisposeAsync()
    {
        await cloud.Cloud.Sns.UnsubscribeAsync(subscriptionArn, CancellationToken.None);
        await sqs.DeleteQueueAsync(queueUrl, CancellationToken.None);
        sqs.Dispose();
    }
}
