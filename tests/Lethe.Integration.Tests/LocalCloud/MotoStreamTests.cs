using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Configuration;
using Lethe.Catalog;
using Lethe.LocalCloud.EventSources;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.LocalCloud;

/// <summary>The launcher writes GetRecords (patch 8) and item reads (patch 9) itself: what they return must still be what moto stored, every attribute type included.</summary>
public sealed class MotoStreamTests(LocalCloudFixture fixture)
{
    [Fact]
    public void The_launcher_applies_its_stream_read_patch_to_the_pinned_moto()
    {
        fixture.Cloud.MotoOutput.Should().Contain("stream-reads-patch=applied");
    }

    [Fact]
    public void The_launcher_applies_its_read_answer_patch_to_the_pinned_moto()
    {
        // Every GetItem, Query, Scan and BatchGetItem of the suites goes through it: they are its regression tests.
        fixture.Cloud.MotoOutput.Should().Contain("read-answers-patch=applied");
    }

    [Fact]
    public async Task A_stream_record_carries_keys_and_new_image_of_every_attribute_type_as_written()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dynamo = fixture.Cloud.CreateDynamoDbClient();
        using var http = new HttpClient();
        var streams = new DynamoStreamsClient(http, fixture.Cloud.Endpoint, fixture.Cloud.Region, fixture.Cloud.Credentials);
        var table = new ResourceNames(v => fixture.Cloud.Environment.TryGetValue(v, out var value) ? value : null).Table(ResourceCatalog.Audit);
        var arn = (await dynamo.DescribeTableAsync(table, ct)).Table.LatestStreamArn;
        var shard = (await streams.DescribeStreamAsync(arn, ct)).StreamDescription.Shards[^1].ShardId;
        var iterator = (await streams.GetShardIteratorAsync(new GetShardIteratorRequest(arn, shard, "LATEST"), ct)).ShardIterator!;
        // Not a journal event (no EVENT# key): the chainer's filter lets it pass by.
        var pk = $"TENANT#stream-{Guid.NewGuid():N}";
        await dynamo.PutItemAsync(new PutItemRequest
        {
            TableName = table,
            Item = new()
            {
                ["pk"] = new() { S = pk },
                ["sk"] = new() { S = "STREAMTEST#1" },
                ["text"] = new() { S = "Grüße" },
                ["count"] = new() { N = "42" },
                ["blob"] = new() { B = new MemoryStream([0, 1, 2, 250]) },
                ["flag"] = new() { BOOL = true },
                ["map"] = new() { M = new() { ["inner"] = new() { S = "x" } } },
                ["list"] = new() { L = [new() { N = "1" }, new() { S = "two" }] },
            },
        }, ct);

        var records = (await streams.GetRecordsAsync(new GetRecordsRequest(iterator, 1000), ct)).Records;

        var record = records.Should().ContainSingle(r => r.GetProperty("dynamodb").GetProperty("Keys").GetProperty("pk").GetProperty("S").GetString() == pk).Which;
        record.GetProperty("eventName").GetString().Should().Be("INSERT");
        var change = record.GetProperty("dynamodb");
        change.GetProperty("ApproximateCreationDateTime").GetDouble().Should().BeGreaterThan(1.7e9, "epoch seconds, as DynamoDB sends them");
        var image = change.GetProperty("NewImage");
        image.GetProperty("text").GetProperty("S").GetString().Should().Be("Grüße");
        image.GetProperty("count").GetProperty("N").GetString().Should().Be("42");
        Convert.FromBase64String(image.GetProperty("blob").GetProperty("B").GetString()!).Should().Equal(0, 1, 2, 250);
        image.GetProperty("flag").GetProperty("BOOL").GetBoolean().Should().BeTrue();
        image.GetProperty("map").GetProperty("M").GetProperty("inner").GetProperty("S").GetString().Should().Be("x");
        image.GetProperty("list").GetProperty("L")[1].GetProperty("S").GetString().Should().Be("two");
    }
}
