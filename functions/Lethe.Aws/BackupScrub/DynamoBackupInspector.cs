using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Domain.BackupScrub;

namespace Lethe.Aws.BackupScrub;

/// <summary>
/// The backups of Lethe's tables: each table's point-in-time recovery (enabled without a period, AWS keeps 35 days) and the
/// on-demand backups created before a moment (AWS Backup's recovery points of a table are listed here too, as AWS_BACKUP).
/// </summary>
public sealed class DynamoBackupInspector(IAmazonDynamoDB dynamo, IReadOnlyList<string> tables) : IBackupInspector
{
    /// <summary>What AWS keeps when point-in-time recovery is enabled without a recovery period.</summary>
    public const int DefaultRecoveryDays = 35;

    public async Task<BackupReport> InspectAsync(DateTimeOffset createdBefore, CancellationToken cancellationToken)
    {
        var windows = new List<TableBackupWindow>();
        var before = new List<string>();
        foreach (var table in tables)
        {
            var described = await dynamo.DescribeContinuousBackupsAsync(new DescribeContinuousBackupsRequest { TableName = table }, cancellationToken);
            var pitr = described.ContinuousBackupsDescription?.PointInTimeRecoveryDescription;
            var enabled = pitr?.PointInTimeRecoveryStatus == PointInTimeRecoveryStatus.ENABLED;
            windows.Add(new TableBackupWindow(table, enabled, enabled ? pitr!.RecoveryPeriodInDays ?? DefaultRecoveryDays : 0));
            before.AddRange(await BackupsBeforeAsync(table, createdBefore, cancellationToken));
        }

        return new BackupReport(windows, before);
    }

    private async Task<List<string>> BackupsBeforeAsync(string table, DateTimeOffset createdBefore, CancellationToken cancellationToken)
    {
        var found = new List<string>();
        string? start = null;
        do
        {
            var page = await dynamo.ListBackupsAsync(new ListBackupsRequest
            {
                TableName = table,
                BackupType = BackupTypeFilter.ALL,
                TimeRangeUpperBound = createdBefore.UtcDateTime,
                ExclusiveStartBackupArn = start,
            }, cancellationToken);
            // The bound is checked here too: not every implementation applies it.
            found.AddRange((page.BackupSummaries ?? [])
                .Where(b => (b.BackupStatus == BackupStatus.AVAILABLE || b.BackupStatus == BackupStatus.CREATING) && b.BackupCreationDateTime is { } at && Utc(at) < createdBefore)
                .Select(b => b.BackupArn));
            start = page.LastEvaluatedBackupArn is { Length: > 0 } more ? more : null;
        }
        while (start is not null);

        return found;
    }

    private static DateTimeOffset Utc(DateTime at) => new(at.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(at, DateTimeKind.Utc) : at.ToUniversalTime());
}
