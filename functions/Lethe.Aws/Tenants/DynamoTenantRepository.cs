using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Catalog;
using Lethe.Catalog;
using Lethe.Domain.Policies;
using Lethe.Domain.Tenancy;
using Lethe.Domain;

namespace Lethe.Aws.Tenants;

/// <summary>Tenants in the Tenants table: one <c>PROFILE</c> item under <c>TENANT#id</c>.</summary>
public sealed class DynamoTenantRepository(IAmazonDynamoDB dynamo, string tableName) : ITenantRepository
{
    private const string ProfileSortKey = "PROFILE";

    public static string PartitionKey(string tenantId) => DynamoKeys.TenantPartition(tenantId);

    public async Task<Tenant?> FindAsync(string tenantId, CancellationToken cancellationToken)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = tableName,
            Key = Key(tenantId),
            ConsistentRead = true,
        }, cancellationToken);
        return response.IsItemSet && response.Item is { Count: > 0 } item ? FromItem(item) : null;
    }

    public async Task<Tenant> GetOrCreateAsync(Tenant candidate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        try
        {
            var created = candidate with { Version = 1 };
            await dynamo.PutItemAsync(new PutItemRequest
            {
                TableName = tableName,
                Item = ToItem(created),
                ConditionExpression = "attribute_not_exists(#pk)",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = ResourceCatalog.PartitionKeyName },
            }, cancellationToken);
            return created;
        }
        catch (ConditionalCheckFailedException)
        {
            return await FindAsync(candidate.Id, cancellationToken)
                ?? throw new InvalidOperationException($"Tenant {candidate.Id} exists but could not be read back.");
        }
    }

    /// <summary>Every tenant id (a scan of profile items: the daily schedules are the only callers).</summary>
    public async Task<IReadOnlyList<string>> ListIdsAsync(CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamo.ScanAsync(new ScanRequest
            {
                TableName = tableName,
                FilterExpression = "#sk = :profile",
                ProjectionExpression = "tenantId",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#sk"] = ResourceCatalog.SortKeyName },
                ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":profile"] = new() { S = ProfileSortKey } },
                ExclusiveStartKey = start,
            }, cancellationToken);
            ids.AddRange(page.Items.Select(i => i["tenantId"].S));
            start = page.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (start is not null);

        return ids;
    }

    public async Task<bool> TrySaveAsync(Tenant tenant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        try
        {
            await dynamo.PutItemAsync(new PutItemRequest
            {
                TableName = tableName,
                Item = ToItem(tenant with { Version = tenant.Version + 1 }),
                // A profile stored before versions existed counts as version 0.
                ConditionExpression = tenant.Version == 0 ? "attribute_not_exists(#pk) OR attribute_not_exists(#version)" : "#version = :version",
                ExpressionAttributeNames = tenant.Version == 0
                    ? new Dictionary<string, string> { ["#pk"] = ResourceCatalog.PartitionKeyName, ["#version"] = "version" }
                    : new Dictionary<string, string> { ["#version"] = "version" },
                ExpressionAttributeValues = tenant.Version == 0 ? null : new Dictionary<string, AttributeValue>
                {
                    [":version"] = new() { N = tenant.Version.ToString(CultureInfo.InvariantCulture) },
                },
            }, cancellationToken);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }
    }

    private static Dictionary<string, AttributeValue> Key(string tenantId) => DynamoKeys.Of(tenantId, ProfileSortKey);

    private static Dictionary<string, AttributeValue> ToItem(Tenant tenant)
    {
        var item = Key(tenant.Id);
        item["tenantId"] = new AttributeValue { S = tenant.Id };
        item["name"] = new AttributeValue { S = tenant.Name };
        item["state"] = new AttributeValue { S = Tenant.StateName(tenant.State) };
        item["createdAt"] = new AttributeValue { S = tenant.CreatedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture) };
        item["timeScale"] = new AttributeValue { N = tenant.TimeScale.ToString(CultureInfo.InvariantCulture) };
        item["version"] = new AttributeValue { N = tenant.Version.ToString(CultureInfo.InvariantCulture) };
        if (tenant.KeyArn is { } keyArn)
        {
            item["keyArn"] = new AttributeValue { S = keyArn };
            item["byokKey"] = new AttributeValue { BOOL = tenant.ByokKey };
        }

        if (tenant.RetainedKeyArns.Count > 0)
        {
            item["retainedKeyArns"] = new AttributeValue { SS = [.. tenant.RetainedKeyArns] };
        }

        if (tenant.NextKeyArn is { } next)
        {
            item["nextKeyArn"] = new AttributeValue { S = next };
            item["nextKeyByok"] = new AttributeValue { BOOL = tenant.NextKeyByok };
        }

        item["retentionDefault"] = new AttributeValue { S = tenant.Retention.Default.ToString() };
        item["retentionCategories"] = new AttributeValue
        {
            M = tenant.Retention.Categories.ToDictionary(c => c.Key, c => new AttributeValue { S = c.Value.ToString() }),
            IsMSet = true,
        };
        item["archiveCategories"] = new AttributeValue
        {
            M = tenant.Archive.Categories.ToDictionary(c => c.Key, c => new AttributeValue
            {
                M = new Dictionary<string, AttributeValue>
                {
                    ["after"] = new() { S = c.Value.After.ToString() },
                    ["tier"] = new() { S = ArchiveTiers.Name(c.Value.Tier) },
                },
            }),
            IsMSet = true,
        };
        item["erasureCategories"] = new AttributeValue
        {
            M = tenant.Erasure.Categories.ToDictionary(c => c.Key, c => new AttributeValue { S = ErasureSettings.Name(c.Value) }),
            IsMSet = true,
        };
        item["requestApproval"] = new AttributeValue { S = ApprovalPolicies.Name(tenant.Requests.Approval) };
        item["pauseApprovalsOnFailure"] = new AttributeValue { BOOL = tenant.Requests.PauseApprovalsOnFailure };
        item["requestDeadline"] = new AttributeValue { S = tenant.Requests.RequestDeadline.ToString() };
        item["notificationEmails"] = new AttributeValue { L = [.. tenant.Requests.NotificationEmails.Select(e => new AttributeValue { S = e })], IsLSet = true };
        item["emailSubscriptions"] = new AttributeValue { M = tenant.EmailSubscriptions.ToDictionary(s => s.Key, s => new AttributeValue { S = s.Value }), IsMSet = true };
        return item;
    }

    private static RequestSettings RequestsOf(Dictionary<string, AttributeValue> item) => new(
        item.TryGetValue("requestApproval", out var approval) ? ApprovalPolicies.Parse(approval.S) ?? ApprovalPolicy.None : ApprovalPolicy.None,
        item.TryGetValue("pauseApprovalsOnFailure", out var pause) && pause.BOOL == true,
        item.TryGetValue("requestDeadline", out var deadline) ? IsoDuration.Parse(deadline.S) : RequestSettings.DefaultDeadline,
        item.TryGetValue("notificationEmails", out var emails) && emails.L is { Count: > 0 } list ? [.. list.Select(e => e.S)] : []);

    private static ArchiveSettings ArchiveOf(Dictionary<string, AttributeValue> item) =>
        item.TryGetValue("archiveCategories", out var a) && a.M is { Count: > 0 } categories
            ? new ArchiveSettings(categories.ToDictionary(
                p => p.Key,
                p => new ArchiveRule(IsoDuration.Parse(p.Value.M["after"].S), ArchiveTiers.Parse(p.Value.M["tier"].S) ?? ArchiveTier.Glacier),
                StringComparer.Ordinal))
            : ArchiveSettings.None;

    private static Tenant FromItem(Dictionary<string, AttributeValue> item) => new(
        item["tenantId"].S,
        item["name"].S,
        Tenant.ParseState(item["state"].S),
        Timestamps.Parse(item["createdAt"].S),
        item.TryGetValue("timeScale", out var scale) ? int.Parse(scale.N, CultureInfo.InvariantCulture) : 1)
    {
        KeyArn = item.TryGetValue("keyArn", out var key) ? key.S : null,
        ByokKey = item.TryGetValue("byokKey", out var byok) && byok.BOOL == true,
        NextKeyArn = item.TryGetValue("nextKeyArn", out var next) ? next.S : null,
        RetainedKeyArns = item.TryGetValue("retainedKeyArns", out var retained) && retained.SS is { Count: > 0 } arns ? [.. arns.Order(StringComparer.Ordinal)] : [],
        NextKeyByok = item.TryGetValue("nextKeyByok", out var nextByok) && nextByok.BOOL == true,
        Version = item.TryGetValue("version", out var version) ? long.Parse(version.N, CultureInfo.InvariantCulture) : 0,
        Retention = new RetentionSettings(
            item.TryGetValue("retentionDefault", out var d) ? IsoDuration.Parse(d.S) : LifecyclePolicy.DefaultRetention,
            item.TryGetValue("retentionCategories", out var c) && c.M is { } categories
                ? categories.ToDictionary(p => p.Key, p => IsoDuration.Parse(p.Value.S), StringComparer.Ordinal)
                : new Dictionary<string, IsoDuration>()),
        Archive = ArchiveOf(item),
        Requests = RequestsOf(item),
        Erasure = item.TryGetValue("erasureCategories", out var erasure) && erasure.M is { Count: > 0 } strategies
            ? new ErasureSettings(strategies.ToDictionary(p => p.Key, p => ErasureSettings.Parse(p.Value.S) ?? ErasureStrategy.Delete, StringComparer.Ordinal))
            : ErasureSettings.Default,
        EmailSubscriptions = item.TryGetValue("emailSubscriptions", out var subscriptions) && subscriptions.M is { Count: > 0 } map
            ? map.ToDictionary(p => p.Key, p => p.Value.S, StringComparer.Ordinal)
            : new Dictionary<string, string>(StringComparer.Ordinal),
    };
}
