using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Catalog;
using Lethe.Domain.Erasure;
using Lethe.Domain.Jobs;
using Lethe.Domain;

namespace Lethe.Aws.Jobs;

/// <summary>Creating a job: the job, its idempotency reservation and its subject's erasure lock in one transaction.</summary>
public sealed partial class DynamoJobStore
{
    public async Task<JobCreation> CreateAsync(Job job, IdempotencyReservation? reservation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var items = new List<TransactWriteItem>
        {
            new() { Put = new Put { TableName = jobsTable, Item = ToItem(job), ConditionExpression = "attribute_not_exists(pk)" } },
        };
        if (reservation is not null)
        {
            var key = DynamoKeys.Of(job.TenantId, ReservationKey(reservation.KeyHash));
            key["jobId"] = new() { S = job.Id };
            key["fingerprint"] = new() { S = reservation.Fingerprint };
            key["expiresAt"] = new() { N = reservation.ExpiresAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) };
            items.Add(new() { Put = new Put
            {
                TableName = jobsTable,
                Item = key,
                // A reservation past its 24 hours is forgotten even before TTL removes it (TTL runs late, and never in moto).
                ConditionExpression = "attribute_not_exists(pk) OR expiresAt < :now",
                ExpressionAttributeValues = new() { [":now"] = new() { N = clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) } },
            } });
        }

        // A deletion takes the subject's erasure lock (a retention sweep its tenant's sweep lock, under the tenant-wide subject);
        // an export of a subject checks it in the same transaction (API.md: an export requested during an erasure is refused with
        // 409). The lock action is always last.
        if (JobTypes.Locks(job.Type))
        {
            var lockItem = DynamoKeys.Of(job.TenantId, LockKey(JobTypes.LockName(job)));
            lockItem["jobId"] = new() { S = job.Id };
            items.Add(new() { Put = new Put { TableName = jobsTable, Item = lockItem, ConditionExpression = "attribute_not_exists(pk)" } });
        }
        else if (job.Type == JobType.Export)
        {
            items.Add(new ErasureLocks(dynamo, jobsTable).AbsentCheck(job.TenantId, job.SubjectRef));
        }

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest { TransactItems = items }, cancellationToken);
                return new JobCreated(job);
            }
            catch (TransactionCanceledException ex)
            {
                var reasons = ex.CancellationReasons ?? [];
                if (reservation is not null && Failed(reasons, 1))
                {
                    var existing = await GetAsync(job.TenantId, ReservationKey(reservation.KeyHash), cancellationToken);
                    if (existing is not null)
                    {
                        var jobId = existing["jobId"].S;
                        if (existing["fingerprint"].S != reservation.Fingerprint)
                        {
                            return new IdempotencyConflict(jobId);
                        }

                        return await FindAsync(job.TenantId, jobId, cancellationToken) is { } first
                            ? new JobReplayed(first)
                            : throw new InvalidOperationException("An idempotency reservation names a job that does not exist.");
                    }
                }

                if ((JobTypes.Locks(job.Type) || job.Type == JobType.Export) && Failed(reasons, items.Count - 1)
                    && await OpenErasureAsync(job.TenantId, JobTypes.Locks(job.Type) ? JobTypes.LockName(job) : job.SubjectRef, cancellationToken) is { } open)
                {
                    return new ErasureAlreadyOpen(open);
                }

                // A concurrent transaction on the same key (or a reservation removed meanwhile): try again, then give up loudly.
                if (attempt >= ConflictAttempts)
                {
                    throw new Domain.Errors.TransientException("The job could not be stored: concurrent submissions kept conflicting.", ex);
                }

                await Task.Delay(TimeSpan.FromMilliseconds(20 * attempt + Random.Shared.Next(20)), cancellationToken);
            }
        }
    }

    private static bool Failed(List<CancellationReason> reasons, int index) =>
        index < reasons.Count && reasons[index].Code == "ConditionalCheckFailed";
}
