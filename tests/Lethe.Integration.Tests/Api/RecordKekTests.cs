using System.Net;
using System.Net.Http.Json;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Catalog;
using Lethe.Aws.Configuration;
using Lethe.Aws.Jobs;
using Lethe.Aws.Keys;
using Lethe.Aws.Records;
using Lethe.Catalog;
using Lethe.Domain.Crypto;
using Lethe.Domain.Security;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Api;

/// <summary>
/// A warm writer seals under its cached KEK without reading it first; the record's own transaction checks that KEK is still
/// the stored one, so a KEK that another process shredded or replaced is never written under.
/// </summary>
public sealed class RecordKekTests(LetheApiFactory api, LocalCloudFixture cloud) : IClassFixture<LetheApiFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ResourceNames Names => ResourceNames.FromEnvironment();

    private static async Task<string> CreateAsync(HttpClient service, string tenant, string text)
    {
        var created = await service.PostAsJsonAsync($"/v1/tenants/{tenant}/subjects/anna/records", new { category = "journal", fields = new { text } }, Ct);
        created.StatusCode.Should().Be(HttpStatusCode.Created);
        return (await created.ReadJsonAsync()).GetProperty("id").GetString()!;
    }

    /// <summary>The tenant's one subject KEK item, as stored.</summary>
    private static async Task<Dictionary<string, AttributeValue>> OnlyKekItemAsync(Amazon.DynamoDBv2.AmazonDynamoDBClient dynamo, string tenant) =>
        (await dynamo.QueryAsync(new QueryRequest
        {
            TableName = Names.Table(ResourceCatalog.Keys),
            KeyConditionExpression = "pk = :pk AND begins_with(sk, :kek)",
            ExpressionAttributeValues = new() { [":pk"] = new() { S = $"TENANT#{tenant}" }, [":kek"] = new() { S = "KEK#" } },
            ConsistentRead = true,
        }, Ct)).Items.Should().ContainSingle().Which;

    /// <summary>The stored envelope of a record's <c>text</c> field.</summary>
    private static async Task<byte[]> SealedTextAsync(Amazon.DynamoDBv2.AmazonDynamoDBClient dynamo, string tenant, string recordId)
    {
        var store = new DynamoRecordStore(
            dynamo, Names.Table(ResourceCatalog.Records), Names.Table(ResourceCatalog.Inventory), Names.Table(ResourceCatalog.Keys),
            new ErasureLocks(dynamo, Names.Table(ResourceCatalog.Jobs)), Names.Table(ResourceCatalog.Tenants));
        return (await store.FindAsync(tenant, recordId, Ct))!.SealedFields["text"];
    }

    [Fact]
    public async Task A_record_written_after_another_process_replaced_the_cached_KEK_is_sealed_under_the_replacement()
    {
        var tenant = $"kek-{Guid.NewGuid():N}"[..20];
        using var service = api.ClientWithToken(tenant, Roles.Service);
        await CreateAsync(service, tenant, "first words");
        using var dynamo = cloud.Cloud.CreateDynamoDbClient();
        var keys = Names.Table(ResourceCatalog.Keys);
        var kekItem = await OnlyKekItemAsync(dynamo, tenant);
        // Another process (an erasure's survivor rewrap) replaces the subject's KEK while the API still holds the old one.
        var elsewhere = new KmsKeyHierarchy(
            cloud.Cloud.CreateKmsClient(), dynamo, keys, new KekCache(TimeProvider.System, TimeSpan.FromMinutes(1), 10), TimeProvider.System);
        var subjectRef = kekItem["sk"].S["KEK#".Length..];
        (await elsewhere.PrepareReplacementAsync(tenant, subjectRef, Ct)).Should().NotBeNull();
        await elsewhere.CommitReplacementAsync(tenant, subjectRef, Ct);

        var second = await CreateAsync(service, tenant, "second words");

        var stored = await dynamo.GetItemAsync(new GetItemRequest { TableName = keys, Key = DynamoKeys.Of(tenant, kekItem["sk"].S), ConsistentRead = true }, Ct);
        stored.Item["kekId"].S.Should().NotBe(kekItem["kekId"].S, "the replacement is the subject's KEK now");
        FieldEnvelope.KeyIdOf(await SealedTextAsync(dynamo, tenant, second)).Should().Be(stored.Item["kekId"].S);
    }

    [Fact]
    public async Task A_record_written_after_another_process_shredded_the_cached_KEK_is_sealed_under_the_subjects_stored_KEK()
    {
        var tenant = $"kek-{Guid.NewGuid():N}"[..20];
        using var service = api.ClientWithToken(tenant, Roles.Service);
        await CreateAsync(service, tenant, "first words");
        using var dynamo = cloud.Cloud.CreateDynamoDbClient();
        var keys = Names.Table(ResourceCatalog.Keys);
        var kekItem = await OnlyKekItemAsync(dynamo, tenant);
        await dynamo.DeleteItemAsync(new DeleteItemRequest { TableName = keys, Key = DynamoKeys.Of(tenant, kekItem["sk"].S) }, Ct);

        var second = await CreateAsync(service, tenant, "second words");

        var stored = await dynamo.GetItemAsync(new GetItemRequest { TableName = keys, Key = DynamoKeys.Of(tenant, kekItem["sk"].S), ConsistentRead = true }, Ct);
        stored.Item.Should().ContainKey("kekId", "the write created the subject's KEK again");
        stored.Item["kekId"].S.Should().NotBe(kekItem["kekId"].S);
        FieldEnvelope.KeyIdOf(await SealedTextAsync(dynamo, tenant, second)).Should().Be(stored.Item["kekId"].S);
        (await (await service.GetAsync($"/v1/tenants/{tenant}/subjects/anna/records/{second}", Ct)).ReadJsonAsync())
            .GetProperty("fields").GetProperty("text").GetString().Should().Be("second words");
    }
}
