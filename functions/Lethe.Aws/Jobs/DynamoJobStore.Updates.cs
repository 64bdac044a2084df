using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Catalog;
using Lethe.Domain.Erasure;
using Lethe.Domain.Jobs;
using Lethe.Domain;
using Lethe.Domain.Errors;

namespace Lethe.Aws.Jobs;

/// <summary>Conditional job transitions (<see cref="JobTransitions"/>) as DynamoDB update expressions.</summary>
public sealed partial class DynamoJobStore
{
    public async Task<Job?> TryUpdateAsync(string tenantId, string jobId, JobUpdate update, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        // Only a purge reset (its per-category tallies) and the erasure lock (its name) need the job as it is; every other
        // transition is one conditional UpdateItem that returns the job as it became: one call where there were three.
        var needsCurrent = update.ResetPurge || update.ReleaseErasureLock || update.AcquireErasureLock;
        var current = needsCurrent ? await FindAsync(tenantId, jobId, cancellationToken) : null;
        if (needsCurrent && current is null)
        {
            return null;
        }

        var names = new Dictionary<string, string> { ["#status"] = "status" };
        if (update.WhenPhase is { Count: > 0 } || update.Phase is not null)
        {
            names["#phase"] = "phase";
        }

        var values = new Dictionary<string, AttributeValue> { [":now"] = new() { S = Time(update.At) } };
        var conditions = new List<string> { "attribute_exists(pk)" };
        conditions.Add($"#status IN ({string.Join(", ", update.WhenStatus.Select((s, i) => Bind(values, $":ws{i}", JobStatuses.Name(s))))})");
        if (update.WhenPhase is { Count: > 0 } phases)
        {
            conditions.Add($"#phase IN ({string.Join(", ", phases.Select((p, i) => Bind(values, $":wp{i}", p)))})");
        }

        var set = new List<string> { "updatedAt = :now" };
        var remove = new List<string>();
        var add = new List<string>();
        if (update.Status is { } status)
        {
            set.Add("#status = :status");
            set.Add("statusPk = :statusPk");
            values[":status"] = new() { S = JobStatuses.Name(status) };
            values[":statusPk"] = new() { S = StatusPartition(tenantId, status) };
            // The sparse "open" index holds open jobs only: a job leaves it when it closes and comes back when a retry reopens it.
            if (JobStatuses.IsOpen(status))
            {
                set.Add("openPk = :openPk, openSk = :openSk");
                values[":openPk"] = new() { S = OpenPartition };
                values[":openSk"] = new() { S = $"{tenantId}#{jobId}" };
            }
            else
            {
                remove.Add("openPk");
                remove.Add("openSk");
            }
        }

        if (update.Phase is { } phase)
        {
            set.Add("#phase = :phase");
            set.Add("phaseStartedAt = :now");
            values[":phase"] = new() { S = phase };
        }

        if (update.MarkPurgeStarted)
        {
            set.Add("purgeStartedAt = if_not_exists(purgeStartedAt, :now)");
        }

        if (update.CompletedAt is { } completed)
        {
            set.Add("completedAt = :completed");
            values[":completed"] = new() { S = Time(completed) };
        }

        if (update.CertificateId is { } certificate)
        {
            set.Add("certificateId = :certificate");
            values[":certificate"] = new() { S = certificate };
        }

        if (update.Total is { } total)
        {
            set.Add("#total = :total");
            names["#total"] = "total";
            values[":total"] = new() { N = total.ToString(CultureInfo.InvariantCulture) };
        }

        if (update.DownloadExpiresAt is { } expires)
        {
            set.Add("downloadExpiresAt = :expires");
            values[":expires"] = new() { S = Time(expires) };
        }

        if (update.ResetPurge)
        {
            set.Add($"#purged = :zero, #failed = :zero, #held = :zero, #restored = :zero, #errors = :none, {VersionsAttribute} = :zero");
            var cleared = 0;
            foreach (var tally in current!.Counts.PurgedByCategory.Keys.Select(k => CategoryTallyPrefix + k)
                .Concat(current.Counts.PurgedByStore.Keys.Select(k => StoreTallyPrefix + k)))
            {
                names[$"#c{cleared}"] = tally;
                remove.Add($"#c{cleared++}");
            }

            names["#errors"] = "errors";
            foreach (var counter in new[] { "purged", "failed", "held", "restored" })
            {
                names[$"#{counter}"] = counter;
            }

            values[":zero"] = new() { N = "0" };
            values[":none"] = new() { L = [], IsLSet = true };
            remove.Add($"{PageAttribute(JobPhases.Purge)}");
            remove.Add("executionArn");
            remove.Add("executionSeenAt");
        }

        if (update.Error is { } error)
        {
            set.Add("#errors = list_append(if_not_exists(#errors, :none), :error)");
            names["#errors"] = "errors";
            values[":none"] = new() { L = [], IsLSet = true };
            values[":error"] = new() { L = [ErrorItem(error)] };
        }

        if (update.PurgeAt is { } purgeAt)
        {
            set.Add("purgeAt = :purgeAt");
            values[":purgeAt"] = new() { S = Time(purgeAt) };
        }

        if (update.Decision is { } decision)
        {
            set.Add("decision = :decision, decidedBy = :decidedBy, decidedAt = :now");
            values[":decision"] = new() { S = decision.Approved ? "approved" : "denied" };
            values[":decidedBy"] = new() { S = decision.By };
            if (decision.Reason is { } denyReason)
            {
                set.Add("denyReason = :denyReason");
                values[":denyReason"] = new() { S = denyReason };
            }
        }

        if (update.MarkOverdue)
        {
            // Once: a request found overdue again on a later day raises nothing more.
            conditions.Add("attribute_not_exists(overdueAt)");
            set.Add("overdueAt = :now");
        }

        if (update.NextExecution)
        {
            add.Add("execution :one");
            values[":one"] = new() { N = "1" };
            if (!remove.Contains("executionArn"))
            {
                remove.Add("executionArn");
                remove.Add("executionSeenAt");
            }
        }

        var expression = "SET " + string.Join(", ", set) + (remove.Count > 0 ? " REMOVE " + string.Join(", ", remove) : "") + (add.Count > 0 ? " ADD " + string.Join(", ", add) : "");
        var jobUpdate = new Update
        {
            TableName = jobsTable,
            Key = DynamoKeys.Of(tenantId, JobPrefix + jobId),
            UpdateExpression = expression,
            ConditionExpression = string.Join(" AND ", conditions),
            ExpressionAttributeNames = names,
            ExpressionAttributeValues = values,
        };
        if (!needsCurrent)
        {
            var request = new UpdateItemRequest
            {
                TableName = jobUpdate.TableName,
                Key = jobUpdate.Key,
                UpdateExpression = jobUpdate.UpdateExpression,
                ConditionExpression = jobUpdate.ConditionExpression,
                ExpressionAttributeNames = jobUpdate.ExpressionAttributeNames,
                ExpressionAttributeValues = jobUpdate.ExpressionAttributeValues,
                ReturnValues = ReturnValue.ALL_NEW,
            };
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    return FromItem((await dynamo.UpdateItemAsync(request, cancellationToken)).Attributes);
                }
                catch (ConditionalCheckFailedException)
                {
                    // No such job (attribute_exists(pk)), or not in a status or phase this transition starts from.
                    return null;
                }
                catch (TransactionConflictException ex)
                {
                    // A transaction on the job (a lock taken or released) is in flight: the same update again, a little later.
                    await BackOffAsync(attempt, ex, cancellationToken);
                }
                catch (AmazonDynamoDBException ex) when (IsThrottling(ex))
                {
                    throw new TransientException($"The job's update was throttled: {ex.ErrorCode}.", ex);
                }
            }
        }

        var transaction = new List<TransactWriteItem> { new() { Update = jobUpdate } };
        var lockCondition = new Dictionary<string, AttributeValue> { [":job"] = new() { S = jobId } };
        if (update.ReleaseErasureLock)
        {
            transaction.Add(new() { Delete = new Delete
            {
                TableName = jobsTable,
                Key = DynamoKeys.Of(tenantId, LockKey(JobTypes.LockName(current!))),
                ConditionExpression = "attribute_not_exists(pk) OR jobId = :job",
                ExpressionAttributeValues = lockCondition,
            } });
        }

        if (update.AcquireErasureLock)
        {
            var lockItem = DynamoKeys.Of(tenantId, LockKey(JobTypes.LockName(current!)));
            lockItem["jobId"] = new() { S = jobId };
            transaction.Add(new() { Put = new Put
            {
                TableName = jobsTable,
                Item = lockItem,
                ConditionExpression = "attribute_not_exists(pk) OR jobId = :job",
                ExpressionAttributeValues = lockCondition,
            } });
        }

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest { TransactItems = transaction }, cancellationToken);
                return await FindAsync(tenantId, jobId, cancellationToken);
            }
            catch (TransactionCanceledException ex) when (ex.CancellationReasons?.Any(r => r.Code is "TransactionConflict" or "ThrottlingError" or "ProvisionedThroughputExceeded") == true)
            {
                // Not a failed condition: another transaction had the job or the lock in flight, or DynamoDB throttled. Read as
                // "not in a state for this" it would end the step as if the job had closed, with the job still open.
                await BackOffAsync(attempt, ex, cancellationToken);
            }
            catch (TransactionCanceledException)
            {
                return null;
            }
            catch (AmazonDynamoDBException ex) when (IsThrottling(ex))
            {
                throw new TransientException($"The job's update was throttled: {ex.ErrorCode}.", ex);
            }
        }
    }

    /// <summary>Waits a growing, jittered moment before the same write again; past <see cref="ConflictAttempts"/> a transient failure the step's Retry takes.</summary>
    private static async Task BackOffAsync(int attempt, Exception conflict, CancellationToken cancellationToken)
    {
        if (attempt >= ConflictAttempts)
        {
            throw new TransientException("The job's update kept conflicting with other transactions on it.", conflict);
        }

        await Task.Delay(TimeSpan.FromMilliseconds(20 * attempt + Random.Shared.Next(20)), cancellationToken);
    }

    private static bool IsThrottling(AmazonDynamoDBException ex) =>
        ex is ProvisionedThroughputExceededException or RequestLimitExceededException
        || ex.ErrorCode is "ThrottlingException" || (int)ex.StatusCode >= 500;
}
