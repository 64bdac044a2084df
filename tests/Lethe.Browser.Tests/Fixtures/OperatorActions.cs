using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Configuration;
using Lethe.Catalog;

namespace Lethe.Tests.Browser.Fixtures;

/// <summary>
/// What an operator does outside Lethe's API to set up a failure: an inventory item in a store Lethe cannot reach (an archive on
/// tape), so its erasure fails; then the archive moved where Lethe can reach it, so a retry succeeds.
/// </summary>
public static class OperatorActions
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string InventoryTable => ResourceNames.FromEnvironment().Table(ResourceCatalog.Inventory);

    public static async Task<string> PutUnpurgeableItemAsync(this ConsoleFixture fixture, string tenant, string subject)
    {
        ArgumentNullException.ThrowIfNull(fixture);
        using var admin = fixture.Client(fixture.Token(tenant, "tenant-admin", "operator"));
        var items = await admin.GetJsonAsync($"/v1/tenants/{tenant}/items?subjectId={subject}");
        var subjectRef = items.GetProperty("items")[0].GetProperty("subjectRef").GetString()!;
        var stuck = $"file_{Guid.NewGuid():N}";
        using var dynamo = fixture.Cloud.CreateDynamoDbClient();
        await dynamo.PutItemAsync(new PutItemRequest
        {
            TableName = InventoryTable,
            Item = new()
            {
                ["pk"] = new() { S = $"TENANT#{tenant}" },
                ["sk"] = new() { S = $"ITEM#{stuck}" },
                ["itemId"] = new() { S = stuck },
                ["kind"] = new() { S = "file" },
                ["subjectRef"] = new() { S = subjectRef },
                ["category"] = new() { S = "recording" },
                ["state"] = new() { S = "active" },
                ["classification"] = new() { S = "confidential" },
                ["location"] = new() { M = new() { ["store"] = new() { S = "tape-library" }, ["key"] = new() { S = $"vault/{stuck}.tar" } } },
                ["subjectPk"] = new() { S = $"TENANT#{tenant}#SUBJECT#{subjectRef}" },
                ["subjectSk"] = new() { S = $"2026-01-01T00:00:00.000Z#{stuck}" },
            },
        }, Ct);
        return stuck;
    }

    public static async Task MakeItemPurgeableAsync(this ConsoleFixture fixture, string tenant, string itemId)
    {
        ArgumentNullException.ThrowIfNull(fixture);
        using var dynamo = fixture.Cloud.CreateDynamoDbClient();
        await dynamo.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = InventoryTable,
            Key = new() { ["pk"] = new() { S = $"TENANT#{tenant}" }, ["sk"] = new() { S = $"ITEM#{itemId}" } },
            UpdateExpression = "SET #l = :l",
            ExpressionAttributeNames = new() { ["#l"] = "location" },
            ExpressionAttributeValues = new() { [":l"] = new() { M = new() { ["store"] = new() { S = "s3" }, ["bucket"] = new() { S = "Data" }, ["key"] = new() { S = $"{tenant}/gone/{itemId}" } } } },
        }, Ct);
    }
}
