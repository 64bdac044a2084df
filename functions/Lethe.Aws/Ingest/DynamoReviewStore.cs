using System.Text;
using System.Text.Json.Nodes;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Catalog;
using Lethe.Aws.Jobs;
using Lethe.Aws.Records;
using Lethe.Catalog;
using Lethe.Domain;
using Lethe.Domain.Ingest;
using Lethe.Domain.Records;

namespace Lethe.Aws.Ingest;

/// <summary>
/// Reviews in the Records table (<c>TENANT#t</c> / <c>REVIEW#id</c>), each with an inventory item of its subject (kind
/// <c>review</c>) written under the erasure lock: the edits (before and after) and a rejection's reason are the subject's data,
/// and an erasure purges them. A review whose item is no longer active is not found, and takes no decision.
/// </summary>
public sealed class DynamoReviewStore(IAmazonDynamoDB dynamo, string recordsTable, string inventoryTable, ErasureLocks locks) : IReviewStore
{
    public const string Kind = "review";
    private const string Prefix = "REVIEW#";

    public async Task<bool> PutPendingAsync(Review review, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(review);
        var row = Row(review);
        var item = DynamoKeys.Of(review.TenantId, $"ITEM#{ItemId(review.Id)}");
        item["itemId"] = new() { S = ItemId(review.Id) };
        item["kind"] = new() { S = Kind };
        item["tenantId"] = new() { S = review.TenantId };
        item["subjectRef"] = new() { S = review.SubjectRef };
        item["category"] = new() { S = IngestWorkflow.InsightCategory };
        item["state"] = new() { S = ItemStates.Name(ItemState.Active) };
        item["classification"] = new() { S = "confidential" };
        item["visibility"] = new() { S = IngestWorkflow.PendingVisibility };
        item["createdAt"] = new() { S = Timestamps.Format(review.CreatedAt) };
        item["location"] = new()
        {
            M = new Dictionary<string, AttributeValue>
            {
                ["store"] = new() { S = "dynamodb" },
                ["table"] = new() { S = ResourceCatalog.Records.LogicalName },
                ["key"] = new() { S = Prefix + review.Id },
            },
        };
        item["subjectPk"] = new() { S = DynamoRecordStore.SubjectPartition(review.TenantId, review.SubjectRef) };
        item["subjectSk"] = new() { S = $"review#{Timestamps.Format(review.CreatedAt)}#{review.Id}" };
        try
        {
            await locks.WriteAsync(review.TenantId, review.SubjectRef,
            [
                locks.AbsentCheck(review.TenantId, review.SubjectRef),
                new TransactWriteItem { Put = new Put { TableName = recordsTable, Item = row, ConditionExpression = "attribute_not_exists(pk)" } },
                new TransactWriteItem { Put = new Put { TableName = inventoryTable, Item = item, ConditionExpression = "attribute_not_exists(pk)" } },
            ], lockIndex: 0, cancellationToken);
            return true;
        }
        catch (TransactionCanceledException ex) when (ErasureLocks.IsConditionFailure(ex, 1))
        {
            // Stored by an earlier run of the step: a pending review takes the new token; a decided one keeps its decision.
            return await TryUpdateAsync(review.TenantId, review.Id, "SET taskToken = :token", "#status = :pending",
                new() { [":token"] = new() { S = review.TaskToken ?? string.Empty }, [":pending"] = new() { S = Review.Name(ReviewStatus.Pending) } }, cancellationToken);
        }
    }

    public async Task<Review?> FindAsync(string tenantId, string reviewId, CancellationToken cancellationToken)
    {
        var rows = await dynamo.BatchGetItemAsync(new BatchGetItemRequest
        {
            RequestItems = new Dictionary<string, KeysAndAttributes>
            {
                [recordsTable] = new() { Keys = [DynamoKeys.Of(tenantId, Prefix + reviewId)], ConsistentRead = true },
                [inventoryTable] = new() { Keys = [DynamoKeys.Of(tenantId, $"ITEM#{ItemId(reviewId)}")], ConsistentRead = true },
            },
        }, cancellationToken);
        var row = rows.Responses.GetValueOrDefault(recordsTable)?.FirstOrDefault();
        var item = rows.Responses.GetValueOrDefault(inventoryTable)?.FirstOrDefault();
        return row is null || item is null || item["state"].S != ItemStates.Name(ItemState.Active) ? null : Parse(tenantId, row);
    }

    public async Task<(IReadOnlyList<Review> Items, string? NextCursor)> ListAsync(string tenantId, ReviewStatus? status, string? cursor, int limit, CancellationToken cancellationToken)
    {
        Dictionary<string, AttributeValue>? start = null;
        if (cursor is not null)
        {
            var sortKey = DynamoPaging.DecodeCursorText(cursor);
            start = sortKey.StartsWith(Prefix, StringComparison.Ordinal) && sortKey.Length <= 100 ? DynamoKeys.Of(tenantId, sortKey) : throw new InvalidCursorException();
        }

        var request = new QueryRequest
        {
            TableName = recordsTable,
            KeyConditionExpression = "pk = :p AND begins_with(sk, :prefix)",
            ExpressionAttributeValues = new() { [":p"] = new() { S = DynamoKeys.TenantPartition(tenantId) }, [":prefix"] = new() { S = Prefix } },
            ConsistentRead = true,
            ExclusiveStartKey = start,
        };
        if (status is { } wanted)
        {
            request.FilterExpression = "#status = :status";
            request.ExpressionAttributeNames = new() { ["#status"] = "status" };
            request.ExpressionAttributeValues[":status"] = new() { S = Review.Name(wanted) };
        }

        var page = await dynamo.QueryUpToAsync(request, limit, cancellationToken);
        // Only reviews still the subject's: one an erasure hid (its item soft-deleted) is listed no more, as it is found no more.
        var active = await ActiveAsync(tenantId, page.Select(row => row["reviewId"].S).ToList(), cancellationToken);
        var items = page.Where(row => active.Contains(row["reviewId"].S)).Select(row => Parse(tenantId, row)).ToList();
        var next = page.Count == limit ? Convert.ToBase64String(Encoding.UTF8.GetBytes(page[^1][ResourceCatalog.SortKeyName].S)) : null;
        return (items, next);
    }

    public Task<bool> DecideAsync(Review decided, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decided);
        var values = new Dictionary<string, AttributeValue>
        {
            [":status"] = new() { S = Review.Name(decided.Status) },
            [":pending"] = new() { S = Review.Name(ReviewStatus.Pending) },
            [":by"] = new() { S = decided.DecidedBy ?? "unknown" },
            [":at"] = new() { S = Timestamps.Format(decided.DecidedAt ?? DateTimeOffset.UtcNow) },
            [":edits"] = new() { S = EditsJson(decided) },
        };
        // The task token stays: the decision answers whichever token is stored when it is read back (a replayed step may have
        // stored a newer one than the reviewer's read saw).
        var set = "SET #status = :status, decidedBy = :by, decidedAt = :at, edits = :edits";
        if (decided.Reason is not null)
        {
            set = "SET #status = :status, decidedBy = :by, decidedAt = :at, edits = :edits, reason = :reason";
            values[":reason"] = new() { S = decided.Reason };
        }

        return TryUpdateAsync(decided.TenantId, decided.Id, set, "#status = :pending", values, cancellationToken);
    }

    public static string ItemId(string reviewId) => $"review_{reviewId}";

    private async Task<HashSet<string>> ActiveAsync(string tenantId, IReadOnlyList<string> reviewIds, CancellationToken cancellationToken)
    {
        var active = new HashSet<string>(StringComparer.Ordinal);
        foreach (var chunk in reviewIds.Chunk(100))
        {
            var request = new Dictionary<string, KeysAndAttributes>
            {
                [inventoryTable] = new() { Keys = [.. chunk.Select(id => DynamoKeys.Of(tenantId, $"ITEM#{ItemId(id)}"))], ConsistentRead = true },
            };
            while (request.Count > 0)
            {
                var response = await dynamo.BatchGetItemAsync(new BatchGetItemRequest { RequestItems = request }, cancellationToken);
                foreach (var item in response.Responses.GetValueOrDefault(inventoryTable) ?? [])
                {
                    if (item["state"].S == ItemStates.Name(ItemState.Active))
                    {
                        active.Add(item["itemId"].S["review_".Length..]);
                    }
                }

                request = response.UnprocessedKeys is { Count: > 0 } more ? more : [];
            }
        }

        return active;
    }

    private async Task<bool> TryUpdateAsync(
        string tenantId, string reviewId, string update, string condition, Dictionary<string, AttributeValue> values, CancellationToken cancellationToken)
    {
        try
        {
            await dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest
            {
                TransactItems =
                [
                    new()
                    {
                        Update = new Update
                        {
                            TableName = recordsTable,
                            Key = DynamoKeys.Of(tenantId, Prefix + reviewId),
                            UpdateExpression = update,
                            ConditionExpression = $"attribute_exists(pk) AND {condition}",
                            ExpressionAttributeNames = new() { ["#status"] = "status" },
                            ExpressionAttributeValues = values,
                        },
                    },
                    new()
                    {
                        // An erasure that hid the review meanwhile wins: no decision and no new token for an erased subject.
                        ConditionCheck = new ConditionCheck
                        {
                            TableName = inventoryTable,
                            Key = DynamoKeys.Of(tenantId, $"ITEM#{ItemId(reviewId)}"),
                            ConditionExpression = "#state = :active",
                            ExpressionAttributeNames = new() { ["#state"] = "state" },
                            ExpressionAttributeValues = new() { [":active"] = new() { S = ItemStates.Name(ItemState.Active) } },
                        },
                    },
                ],
            }, cancellationToken);
            return true;
        }
        catch (TransactionCanceledException ex) when (ex.CancellationReasons?.Any(r => r.Code == "ConditionalCheckFailed") == true)
        {
            return false;
        }
    }

    private static Dictionary<string, AttributeValue> Row(Review review)
    {
        var row = DynamoKeys.Of(review.TenantId, Prefix + review.Id);
        row["reviewId"] = new() { S = review.Id };
        row["uploadId"] = new() { S = review.UploadId };
        row["jobId"] = new() { S = review.JobId };
        row["subjectRef"] = new() { S = review.SubjectRef };
        row["insightId"] = new() { S = review.InsightId };
        row["status"] = new() { S = Review.Name(review.Status) };
        row["createdAt"] = new() { S = Timestamps.Format(review.CreatedAt) };
        if (review.TaskToken is not null)
        {
            row["taskToken"] = new() { S = review.TaskToken };
        }

        return row;
    }

    private static string EditsJson(Review review)
    {
        var edits = new JsonObject();
        foreach (var (field, edit) in review.Edits)
        {
            edits[field] = new JsonObject { ["before"] = edit.Before, ["after"] = edit.After };
        }

        return edits.ToJsonString();
    }

    private static Review Parse(string tenantId, Dictionary<string, AttributeValue> row)
    {
        var edits = new Dictionary<string, ReviewEdit>(StringComparer.Ordinal);
        if (row.GetValueOrDefault("edits")?.S is { } json && JsonNode.Parse(json) is JsonObject parsed)
        {
            foreach (var (field, edit) in parsed)
            {
                edits[field] = new ReviewEdit(edit?["before"]?.GetValue<string>(), edit?["after"]?.GetValue<string>() ?? string.Empty);
            }
        }

        return new Review(row["reviewId"].S, tenantId, row["uploadId"].S, row["jobId"].S, row["subjectRef"].S, row["insightId"].S,
            Review.Parse(row["status"].S) ?? ReviewStatus.Pending, Timestamps.Parse(row["createdAt"].S))
        {
            TaskToken = row.GetValueOrDefault("taskToken")?.S,
            DecidedBy = row.GetValueOrDefault("decidedBy")?.S,
            DecidedAt = row.GetValueOrDefault("decidedAt")?.S is { } at ? Timestamps.Parse(at) : null,
            Reason = row.GetValueOrDefault("reason")?.S,
            Edits = edits,
        };
    }
}
