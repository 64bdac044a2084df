using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Catalog;
using Lethe.Domain.Erasure;
using Lethe.Domain.Jobs;
using Lethe.Domain;

namespace Lethe.Aws.Jobs;

/// <summary>Progress written once per page or volume: conditional on the page mark, so a replay moves no counter.</summary>
public sealed partial class DynamoJobStore
{
    public async Task<bool> RecordPageAsync(
        string tenantId, string jobId, string phase, long page, ErasureCounts earned, IReadOnlyList<JobError> errors, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(earned);
        ArgumentNullException.ThrowIfNull(errors);
        var values = new Dictionary<string, AttributeValue>
        {
            [":page"] = new() { N = page.ToString(CultureInfo.InvariantCulture) },
            [":now"] = new() { S = Time(at) },
        };
        var adds = new List<string>();
        var names = new Dictionary<string, string>();
        void Add(string attribute, long value)
        {
            if (value != 0)
            {
                // Counter names such as "total" are DynamoDB reserved words: always through a placeholder.
                adds.Add($"#{attribute} :{attribute}");
                names[$"#{attribute}"] = attribute;
                values[$":{attribute}"] = new() { N = value.ToString(CultureInfo.InvariantCulture) };
            }
        }

        Add("total", earned.Total);
        Add("softDeleted", earned.SoftDeleted);
        Add("purged", earned.Purged);
        Add("failed", earned.Failed);
        Add("restored", earned.Restored);
        Add("held", earned.Held);
        Add("archived", earned.Archived);
        Add("masked", earned.Masked);
        Add(VersionsAttribute, earned.VersionsDeleted);
        // The certificate's tally moves in this same conditional write: one attribute per category and per store.
        var tallied = 0;
        void Tally(string prefix, IReadOnlyDictionary<string, long> counts)
        {
            foreach (var (name, count) in counts.Where(c => c.Value != 0))
            {
                var slot = $"t{tallied++}";
                adds.Add($"#{slot} :{slot}");
                names[$"#{slot}"] = prefix + name;
                values[$":{slot}"] = new() { N = count.ToString(CultureInfo.InvariantCulture) };
            }
        }

        Tally(CategoryTallyPrefix, earned.PurgedByCategory);
        Tally(StoreTallyPrefix, earned.PurgedByStore);
        var pageAttribute = PageAttribute(phase);
        try
        {
            await dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = jobsTable,
                Key = DynamoKeys.Of(tenantId, JobPrefix + jobId),
                UpdateExpression = $"SET {pageAttribute} = :page, updatedAt = :now" + (adds.Count > 0 ? " ADD " + string.Join(", ", adds) : ""),
                ConditionExpression = $"attribute_exists(pk) AND (attribute_not_exists({pageAttribute}) OR {pageAttribute} < :page)",
                ExpressionAttributeNames = names.Count > 0 ? names : null,
                ExpressionAttributeValues = values,
            }, cancellationToken);
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }

        if (errors.Count > 0)
        {
            try
            {
                // Errors are kept for review up to a bound (the item must stay far below 400 KB); the counter keeps the full number.
                await dynamo.UpdateItemAsync(new UpdateItemRequest
                {
                    TableName = jobsTable,
                    Key = DynamoKeys.Of(tenantId, JobPrefix + jobId),
                    UpdateExpression = "SET #errors = list_append(if_not_exists(#errors, :none), :errors)",
                    ConditionExpression = "attribute_not_exists(#errors) OR size(#errors) < :max",
                    ExpressionAttributeNames = new() { ["#errors"] = "errors" },
                    ExpressionAttributeValues = new()
                    {
                        [":none"] = new() { L = [], IsLSet = true },
                        [":errors"] = new() { L = errors.Take(MaxErrorsKept).Select(ErrorItem).ToList() },
                        [":max"] = new() { N = MaxErrorsKept.ToString(CultureInfo.InvariantCulture) },
                    },
                }, cancellationToken);
            }
            catch (ConditionalCheckFailedException)
            {
                // Enough examples are listed already.
            }
        }

        return true;
    }

    public async Task<bool> RecordVolumeAsync(string tenantId, string jobId, ExportVolumeRecord volume, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(volume);
        var values = new Dictionary<string, AttributeValue>
        {
            [":parts"] = new() { N = volume.Volume.ToString(CultureInfo.InvariantCulture) },
            [":items"] = new() { N = volume.Items.ToString(CultureInfo.InvariantCulture) },
            [":bytes"] = new() { N = volume.Bytes.ToString(CultureInfo.InvariantCulture) },
            [":running"] = new() { S = JobStatuses.Name(JobStatus.Running) },
            [":now"] = new() { S = Time(volume.At) },
        };
        if (volume.Volume > 1)
        {
            values[":previous"] = new() { N = (volume.Volume - 1).ToString(CultureInfo.InvariantCulture) };
        }

        values[":more"] = new() { BOOL = volume.More };
        var set = "exportParts = :parts, exportMore = :more, updatedAt = :now";
        if (volume.Cursor is not null)
        {
            set += ", exportCursor = :cursor";
            values[":cursor"] = new() { S = volume.Cursor };
        }

        try
        {
            await dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = jobsTable,
                Key = DynamoKeys.Of(tenantId, JobPrefix + jobId),
                UpdateExpression = $"SET {set} ADD exported :items, exportBytes :bytes",
                ConditionExpression = "#status = :running AND " + (volume.Volume == 1 ? "attribute_not_exists(exportParts)" : "exportParts = :previous"),
                ExpressionAttributeNames = new() { ["#status"] = "status" },
                ExpressionAttributeValues = values,
            }, cancellationToken);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }
    }
}
