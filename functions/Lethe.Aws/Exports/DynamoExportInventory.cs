using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.S3;
using Amazon.S3.Model;
using Lethe.Aws.Catalog;
using Lethe.Catalog;
using Lethe.Aws.Records;
using Lethe.Domain.Audit;
using Lethe.Domain.Exports;
using Lethe.Domain.Records;
using Lethe.Domain.Tenancy;

namespace Lethe.Aws.Exports;

/// <summary>What an export volume needs besides the inventory: records (opened with the subject's key), consents, the audit chain, files.</summary>
public sealed record ExportReaders(
    DynamoRecordStore Records, RecordService Opener, IConsentStore Consents, IRestrictionStore Restrictions, IAuditChainStore Chain, IAmazonS3 S3, Func<string, string> PhysicalBucket);

/// <summary>
/// The subject's active records and files through the inventory's <c>bySubject</c> index, in its order (created time, then id):
/// counted, cut into volumes by size, and read volume by volume. Consents and the subject's audit events go into volume 1.
/// </summary>
public sealed class DynamoExportInventory(IAmazonDynamoDB dynamo, string inventoryTable, ExportReaders readers) : IExportInventory
{
    private const int PageSize = 500;

    private ExportReaders Readers => readers;

    private async Task<Dictionary<string, AttributeValue>> LocationAsync(string tenantId, string itemId, CancellationToken cancellationToken)
    {
        var item = await dynamo.GetItemAsync(new GetItemRequest { TableName = inventoryTable, Key = DynamoKeys.Of(tenantId, $"ITEM#{itemId}") }, cancellationToken);
        return item.Item["location"].M;
    }

    public async Task<long> CountAsync(string tenantId, string subjectRef, CancellationToken cancellationToken)
    {
        long count = 0;
        await foreach (var _ in ItemsAsync(tenantId, subjectRef, null, null, null, cancellationToken))
        {
            count++;
        }

        return count;
    }

    public async Task<VolumePlan> PlanVolumeAsync(string tenantId, string subjectRef, string? afterPosition, ExportLimits limits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(limits);
        string? last = null;
        var items = 0;
        long bytes = 0;
        await foreach (var item in ItemsAsync(tenantId, subjectRef, afterPosition, null, null, cancellationToken))
        {
            if (items > 0 && (items >= limits.VolumeItems || bytes >= limits.VolumeBytes))
            {
                return new VolumePlan(afterPosition, last, items, bytes, More: true);
            }

            items++;
            bytes += item.TryGetValue("sizeBytes", out var size) && size.N is not null ? long.Parse(size.N, CultureInfo.InvariantCulture) : ExportLimits.RecordSizeEstimate;
            last = item["subjectSk"].S;
        }

        return new VolumePlan(afterPosition, last, items, bytes, More: false);
    }

    public IExportSource Open(Tenant tenant, string subjectRef, VolumePlan plan, bool first) => new Volume(this, tenant, subjectRef, plan, first);

    /// <summary>The subject's archived items through the <c>bySubject</c> index, in its order.</summary>
    private async IAsyncEnumerable<InventoryItem> ArchivedItemsAsync(string tenantId, string subjectRef, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamo.QueryAsync(new QueryRequest
            {
                TableName = inventoryTable,
                IndexName = ResourceCatalog.Inventory.GlobalIndexes[0].Name,
                KeyConditionExpression = "subjectPk = :p",
                FilterExpression = "#state = :archived",
                ExpressionAttributeNames = new() { ["#state"] = "state" },
                ExpressionAttributeValues = new()
                {
                    [":p"] = new() { S = DynamoRecordStore.SubjectPartition(tenantId, subjectRef) },
                    [":archived"] = new() { S = ItemStates.Name(ItemState.Archived) },
                },
                ExclusiveStartKey = start,
                Limit = PageSize,
            }, cancellationToken);
            foreach (var item in page.Items)
            {
                yield return InventoryItems.FromItem(item);
            }

            start = page.LastEvaluatedKey is { Count: > 0 } more ? more : null;
        }
        while (start is not null);
    }

    /// <summary>Active records and files of the subject after <paramref name="after"/> up to <paramref name="last"/>, optionally of one kind and category.</summary>
    private async IAsyncEnumerable<Dictionary<string, AttributeValue>> ItemsAsync(
        string tenantId, string subjectRef, string? after, string? last, (string Kind, string? Category)? only, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var values = new Dictionary<string, AttributeValue>
        {
            [":p"] = new() { S = DynamoRecordStore.SubjectPartition(tenantId, subjectRef) },
            [":active"] = new() { S = ItemStates.Name(ItemState.Active) },
            [":record"] = new() { S = "record" },
            [":file"] = new() { S = "file" },
        };
        var names = new Dictionary<string, string> { ["#state"] = "state", ["#kind"] = "kind" };
        var key = "subjectPk = :p";
        if (after is not null)
        {
            key += " AND subjectSk > :after";
            values[":after"] = new() { S = after };
        }

        var filter = "#state = :active AND #kind IN (:record, :file)";
        if (only is { } wanted)
        {
            filter += " AND #kind = :kind";
            values[":kind"] = new() { S = wanted.Kind };
            if (wanted.Category is not null)
            {
                filter += " AND category = :category";
                values[":category"] = new() { S = wanted.Category };
            }
        }

        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamo.QueryAsync(new QueryRequest
            {
                TableName = inventoryTable,
                IndexName = ResourceCatalog.Inventory.GlobalIndexes[0].Name,
                KeyConditionExpression = key,
                FilterExpression = filter,
                ExpressionAttributeNames = names,
                ExpressionAttributeValues = values,
                ExclusiveStartKey = start,
                Limit = PageSize,
            }, cancellationToken);
            foreach (var item in page.Items)
            {
                if (last is not null && string.CompareOrdinal(item["subjectSk"].S, last) > 0)
                {
                    yield break;
                }

                yield return item;
            }

            start = page.LastEvaluatedKey is { Count: > 0 } more ? more : null;
            if (start is not null && last is not null && string.CompareOrdinal(start["subjectSk"].S, last) >= 0)
            {
                yield break;
            }
        }
        while (start is not null);
    }

    private sealed class Volume(DynamoExportInventory inventory, Tenant tenant, string subjectRef, VolumePlan plan, bool first) : IExportSource
    {
        private ExportReaders Readers => inventory.Readers;

        private IAsyncEnumerable<Dictionary<string, AttributeValue>> Items(string kind, string? category, CancellationToken cancellationToken) =>
            plan.LastPosition is null
                ? AsyncEnumerable.Empty<Dictionary<string, AttributeValue>>()
                : inventory.ItemsAsync(tenant.Id, subjectRef, plan.AfterPosition, plan.LastPosition, (kind, category), cancellationToken);

        public async IAsyncEnumerable<ExportRecord> RecordsAsync(string? category, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var keyArn = tenant.SealingKeyArn ?? throw new InvalidOperationException($"Tenant {tenant.Id} has no key.");
            await foreach (var items in Items("record", category, cancellationToken).Chunk(100).WithCancellation(cancellationToken))
            {
                foreach (var record in await Readers.Records.FindManyAsync(tenant.Id, items.Select(i => i["itemId"].S).ToList(), cancellationToken))
                {
                    if (record.State == ItemState.Active)
                    {
                        var opened = await Readers.Opener.OpenAsync(record, keyArn, cancellationToken);
                        yield return new ExportRecord(record.Id, record.Category, record.CreatedAt, opened.Fields);
                    }
                }
            }
        }

        public async IAsyncEnumerable<ExportFile> FilesAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await foreach (var item in Items("file", null, cancellationToken))
            {
                yield return new ExportFile(item["itemId"].S, item.TryGetValue("fileName", out var name) ? name.S : item["itemId"].S, item["category"].S);
            }
        }

        public async Task<Stream> OpenFileAsync(ExportFile file, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(file);
            var location = await inventory.LocationAsync(tenant.Id, file.ItemId, cancellationToken);
            var response = await Readers.S3.GetObjectAsync(new GetObjectRequest
            {
                BucketName = Readers.PhysicalBucket(location["bucket"].S),
                Key = location["key"].S,
            }, cancellationToken);
            return new ResponseStream(response);
        }

        public async IAsyncEnumerable<ConsentState> ConsentsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            if (!first)
            {
                yield break;
            }

            foreach (var consent in await Readers.Consents.ListAsync(tenant.Id, subjectRef, cancellationToken))
            {
                yield return consent;
            }
        }

        public async Task<RestrictionState?> RestrictionAsync(CancellationToken cancellationToken) =>
            first && await Readers.Restrictions.GetAsync(tenant.Id, subjectRef, cancellationToken) is { } state && state != RestrictionState.None ? state : null;

        public async IAsyncEnumerable<ExportArchivedItem> ArchivedAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            if (!first)
            {
                yield break;
            }

            await foreach (var item in inventory.ArchivedItemsAsync(tenant.Id, subjectRef, cancellationToken))
            {
                yield return new ExportArchivedItem(item.ItemId, item.Kind, item.Category, item.ArchivedUntil);
            }
        }

        /// <summary>The subject's own events: those whose details name its ref or whose target is it (the chain is read in order).</summary>
        public async IAsyncEnumerable<ChainedAuditEvent> AuditAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            if (!first)
            {
                yield break;
            }

            await foreach (var chained in Readers.Chain.ReadChainAsync(tenant.Id, 1, cancellationToken))
            {
                var e = chained.Event;
                var named = e.Details.ValueKind == JsonValueKind.Object && e.Details.TryGetProperty("subjectRef", out var reference)
                    && reference.ValueKind == JsonValueKind.String && reference.GetString() == subjectRef;
                if (named || e.Target.EndsWith("/" + subjectRef, StringComparison.Ordinal))
                {
                    yield return chained;
                }
            }
        }
    }

    /// <summary>The body of a GetObject response that releases the response (and its connection) when disposed.</summary>
    private sealed class ResponseStream(GetObjectResponse response) : IO.ForwardReadStream
    {
        private readonly Stream _body = response.ResponseStream;

        public override int Read(byte[] buffer, int offset, int count) => _body.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _body.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _body.ReadAsync(buffer, offset, count, cancellationToken);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _body.Dispose();
                response.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
