using System.Text;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Catalog;
using Lethe.Domain.Erasure;
using Lethe.Domain.Requests;
using Lethe.Domain;

namespace Lethe.Aws.Jobs;

/// <summary>
/// Backup-scrub markers (<c>SCRUB#jobId</c>) beside the jobs: a completed erasure records when its subject must be gone from
/// the backups; the scrub workflow picks them up. Written once (a replayed step finds it there).
/// </summary>
public sealed class DynamoBackupScrubSchedule(IAmazonDynamoDB dynamo, string jobsTable) : IBackupScrubSchedule
{
    public async Task ScheduleAsync(string tenantId, string jobId, DateTimeOffset dueAt, CancellationToken cancellationToken)
    {
        var item = DynamoKeys.Of(tenantId, $"SCRUB#{jobId}");
        item["jobId"] = new() { S = jobId };
        item["dueAt"] = new() { S = Timestamps.Format(dueAt) };
        item["status"] = new() { S = "due" };
        try
        {
            await dynamo.PutItemAsync(new PutItemRequest { TableName = jobsTable, Item = item, ConditionExpression = "attribute_not_exists(pk)" }, cancellationToken);
        }
        catch (ConditionalCheckFailedException)
        {
            // Scheduled already (a replayed step).
        }
    }
}
