using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Catalog;
using Lethe.Catalog;
using Lethe.Domain;
using Lethe.Domain.Connectors;
using Lethe.Domain.Crypto;

namespace Lethe.Aws.Connectors;

/// <summary>
/// The tenant's connectors in the Tenants table, all in one row (<c>TENANT#t</c> / <c>CONNECTORS</c>) under a version: the
/// limit of <see cref="ConnectorRules.MaxPerTenant"/> and two concurrent changes are decided by the write's own condition.
/// Secrets are stored sealed (<see cref="ConnectorSecrets"/>) and leave this class only to sign a call.
/// </summary>
public sealed class DynamoConnectorStore(IAmazonDynamoDB dynamo, string tableName, Func<string, CancellationToken, Task<SubjectKek>> tenantRefKey) : IConnectorStore
{
    private const string SortKey = "CONNECTORS";
    private const int Attempts = 5;

    public async Task<ConnectorPut> PutAsync(string tenantId, Connector connector, string? secret, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connector);
        byte[]? sealedSecret = secret is null ? null : ConnectorSecrets.Seal(await tenantRefKey(tenantId, cancellationToken), tenantId, connector.Name, secret);
        for (var attempt = 0; ; attempt++)
        {
            var (version, entries) = await ReadAsync(tenantId, cancellationToken);
            var existing = entries.GetValueOrDefault(connector.Name);
            if (existing is null && entries.Count >= ConnectorRules.MaxPerTenant)
            {
                return ConnectorPut.LimitReached;
            }

            var secretBytes = sealedSecret ?? existing?.GetValueOrDefault("secret")?.B?.ToArray();
            if (secretBytes is null)
            {
                return ConnectorPut.SecretRequired;
            }

            entries[connector.Name] = Entry(connector, secretBytes);
            if (await TryWriteAsync(tenantId, version, entries, cancellationToken))
            {
                return existing is null ? ConnectorPut.Created : ConnectorPut.Replaced;
            }

            if (attempt == Attempts - 1)
            {
                throw new Domain.Errors.TransientException($"The connectors of tenant {tenantId} kept changing; try again.");
            }
        }
    }

    public async Task<IReadOnlyList<Connector>> ListAsync(string tenantId, CancellationToken cancellationToken)
    {
        var (_, entries) = await ReadAsync(tenantId, cancellationToken);
        return [.. entries.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => FromEntry(e.Key, e.Value))];
    }

    public async Task<bool> DeleteAsync(string tenantId, string name, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var (version, entries) = await ReadAsync(tenantId, cancellationToken);
            if (!entries.Remove(name))
            {
                return false;
            }

            if (await TryWriteAsync(tenantId, version, entries, cancellationToken))
            {
                return true;
            }

            if (attempt == Attempts - 1)
            {
                throw new Domain.Errors.TransientException($"The connectors of tenant {tenantId} kept changing; try again.");
            }
        }
    }

    public async Task<(Connector Connector, string Secret)?> OpenAsync(string tenantId, string name, CancellationToken cancellationToken)
    {
        var (_, entries) = await ReadAsync(tenantId, cancellationToken);
        if (entries.GetValueOrDefault(name) is not { } entry || entry.GetValueOrDefault("secret")?.B is not { } sealedSecret)
        {
            return null;
        }

        var secret = ConnectorSecrets.Open(await tenantRefKey(tenantId, cancellationToken), tenantId, name, sealedSecret.ToArray());
        return (FromEntry(name, entry), secret);
    }

    private async Task<(long Version, Dictionary<string, Dictionary<string, AttributeValue>> Entries)> ReadAsync(string tenantId, CancellationToken cancellationToken)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest { TableName = tableName, Key = DynamoKeys.Of(tenantId, SortKey), ConsistentRead = true }, cancellationToken);
        if (!response.IsItemSet || response.Item is not { Count: > 0 } item)
        {
            return (0, new Dictionary<string, Dictionary<string, AttributeValue>>(StringComparer.Ordinal));
        }

        var version = long.Parse(item["version"].N, CultureInfo.InvariantCulture);
        var entries = (item.GetValueOrDefault("connectors")?.M ?? []).ToDictionary(e => e.Key, e => e.Value.M, StringComparer.Ordinal);
        return (version, entries);
    }

    private async Task<bool> TryWriteAsync(string tenantId, long version, Dictionary<string, Dictionary<string, AttributeValue>> entries, CancellationToken cancellationToken)
    {
        var item = DynamoKeys.Of(tenantId, SortKey);
        item["version"] = new AttributeValue { N = (version + 1).ToString(CultureInfo.InvariantCulture) };
        item["connectors"] = new AttributeValue { M = entries.ToDictionary(e => e.Key, e => new AttributeValue { M = e.Value }), IsMSet = true };
        try
        {
            await dynamo.PutItemAsync(new PutItemRequest
            {
                TableName = tableName,
                Item = item,
                ConditionExpression = version == 0 ? "attribute_not_exists(#pk)" : "#version = :version",
                ExpressionAttributeNames = version == 0
                    ? new Dictionary<string, string> { ["#pk"] = ResourceCatalog.PartitionKeyName }
                    : new Dictionary<string, string> { ["#version"] = "version" },
                ExpressionAttributeValues = version == 0 ? null : new Dictionary<string, AttributeValue> { [":version"] = new() { N = version.ToString(CultureInfo.InvariantCulture) } },
            }, cancellationToken);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }
    }

    private static Dictionary<string, AttributeValue> Entry(Connector connector, byte[] sealedSecret) => new()
    {
        ["url"] = new() { S = connector.Url },
        ["types"] = new() { L = [.. connector.Types.Select(t => new AttributeValue { S = t })], IsLSet = true },
        ["secret"] = new() { B = new MemoryStream(sealedSecret) },
        ["updatedAt"] = new() { S = connector.UpdatedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture) },
        ["updatedBy"] = new() { S = connector.UpdatedBy },
    };

    private static Connector FromEntry(string name, Dictionary<string, AttributeValue> entry) => new(
        name,
        entry["url"].S,
        [.. (entry.GetValueOrDefault("types")?.L ?? []).Select(t => t.S)],
        Timestamps.Parse(entry["updatedAt"].S),
        entry["updatedBy"].S);
}
