using System.Text.Json;
using Lethe.Lambda;
using Lethe.Lambda.Events;

namespace Lethe.Lambda.Tests.Events;

/// <summary>The records read the real-shaped samples under events/ (the same files the handlers' tests use).</summary>
public sealed class EventRecordTests
{
    private static byte[] Sample(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "events", "lambda", name));

    [Fact]
    public void SQS_event_reads_every_message_with_its_attributes()
    {
        var sqs = JsonSerializer.Deserialize(Sample("sqs-s3-notification.json"), LambdaJsonContext.Default.SqsEvent)!;

        sqs.Records.Should().HaveCount(2);
        sqs.Records[0].MessageId.Should().Be("19dd0b57-b21e-4ac1-bd88-01bbb068cb78");
        sqs.Records[0].EventSourceArn.Should().EndWith(":lethe-local-ingest-queue");
        sqs.Records[1].Attributes!["ApproximateReceiveCount"].Should().Be("3");
        sqs.Records[1].MessageAttributes!["correlationId"].StringValue.Should().Be("c-42");
    }

    [Fact]
    public void SQS_event_body_carrying_an_S3_notification_reads_as_S3_event()
    {
        var sqs = JsonSerializer.Deserialize(Sample("sqs-s3-notification.json"), LambdaJsonContext.Default.SqsEvent)!;

        var s3 = JsonSerializer.Deserialize(sqs.Records[0].Body, LambdaJsonContext.Default.S3Event)!;

        s3.Records.Single().S3.Object.DecodedKey.Should().Be("t1-acme/uploads/u-1/session notes.txt");
    }

    [Fact]
    public void SQS_batch_response_lists_only_the_failed_messages_in_the_shape_Lambda_expects()
    {
        var response = SqsBatchResponse.Failed(["2e1424d4-f796-459a-8184-9c92662be6da"]);

        JsonSerializer.Serialize(response, LambdaJsonContext.Default.SqsBatchResponse)
            .Should().Be("""{"batchItemFailures":[{"itemIdentifier":"2e1424d4-f796-459a-8184-9c92662be6da"}]}""");
        JsonSerializer.Serialize(SqsBatchResponse.None, LambdaJsonContext.Default.SqsBatchResponse)
            .Should().Be("""{"batchItemFailures":[]}""");
    }

    [Fact]
    public void S3_event_reads_bucket_key_version_and_decodes_the_key()
    {
        var s3 = JsonSerializer.Deserialize(Sample("s3-object-created.json"), LambdaJsonContext.Default.S3Event)!;

        var record = s3.Records.Single();
        record.EventName.Should().Be("ObjectCreated:Put");
        record.S3.Bucket.Name.Should().Be("lethe-local-ingest");
        record.S3.Object.VersionId.Should().Be("096fKKXTRTtl3on89fVO.nfljtsv6qko");
        record.S3.Object.Size.Should().Be(1024);
        record.S3.Object.DecodedKey.Should().Be("t1-acme/uploads/u-1/session notes(1).txt");
    }

    [Fact]
    public void An_EventBridge_event_reads_the_envelope_and_keeps_detail_raw()
    {
        var evt = JsonSerializer.Deserialize(Sample("eventbridge-schedule.json"), LambdaJsonContext.Default.EventBridgeEvent)!;

        evt.DetailType.Should().Be("Scheduled Event");
        evt.Source.Should().Be("aws.events");
        evt.Time.Should().Be(new DateTimeOffset(2026, 11, 25, 3, 0, 0, TimeSpan.Zero));
        evt.Resources.Single().Should().EndWith("rule/lethe-retention-sweep");
        evt.Detail.GetProperty("correlationId").GetString().Should().Be("sweep-2026-11-25");
    }
}
