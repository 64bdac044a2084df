using System.Text.Json;
using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;
using Lethe.Domain.Notifications;

namespace Lethe.Domain.Requests;

/// <summary>
/// The daily overdue check (API.md, Deadlines): every deletion and export of a tenant past its deadline and not ended
/// (awaiting approval, queued, running or failed) raises <c>request.overdue</c> once, as an audit event and a notice, and is
/// marked on the job. The notice and the audit event are sent before the mark and are idempotent themselves (the notice's
/// execution and the event are named after the request), so a crash in between sends them again, never twice.
/// </summary>
public sealed class OverdueRequests(IJobStore jobs, INotifications notices, IAuditJournal audit, TimeProvider clock)
{
    public static readonly AuditActor Actor = new("lethe-overdue-check", "system");

    private const int PageSize = 100;

    private static readonly JobStatus[] NotEnded = [JobStatus.AwaitingApproval, JobStatus.Queued, JobStatus.Running, JobStatus.Failed];

    /// <summary>Flags the tenant's late requests; returns how many were flagged now.</summary>
    public async Task<int> FlagAsync(string tenantId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var flagged = 0;
        foreach (var status in NotEnded)
        {
            string? cursor = null;
            do
            {
                var query = new JobQuery(status, null, null, cursor, PageSize) { DueBefore = now, Now = now };
                var (page, next) = await jobs.ListAsync(tenantId, query, cancellationToken);
                foreach (var job in page.Where(j => j.OverdueAt is null && j.IsOverdue(now)))
                {
                    // A notice that cannot be sent now throws: the request stays unmarked and the next check sends it.
                    if (await RaiseAsync(jobs, notices, audit, job, now, cancellationToken))
                    {
                        flagged++;
                    }
                }

                cursor = next;
            }
            while (cursor is not null);
        }

        return flagged;
    }

    /// <summary>
    /// A request that completes after its deadline raises its <c>request.overdue</c> as it completes (the daily check looks at
    /// unfinished requests only). Telling is secondary to the completion: a notice that cannot be sent does not fail it.
    /// </summary>
    public static async Task RaiseIfLateAsync(IJobStore jobs, INotifications notices, IAuditJournal audit, Job job, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.OverdueAt is not null || !job.IsOverdue(now))
        {
            return;
        }

        try
        {
            await RaiseAsync(jobs, notices, audit, job, now, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Left unmarked: the completion stands, and the job shows overdue whatever became of the notice.
        }
    }

    /// <summary>The notice and the audit event (both named after the request, so never twice), then the mark; true when marked now.</summary>
    private static async Task<bool> RaiseAsync(IJobStore jobs, INotifications notices, IAuditJournal audit, Job job, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await notices.SendAsync(job, NotificationEvents.RequestOverdue, now, cancellationToken);
        using var details = JsonDocument.Parse(new JsonObject
        {
            ["requestId"] = job.Id,
            ["type"] = JobTypes.Name(job.Type),
            ["subjectRef"] = job.SubjectRef,
            ["status"] = JobStatuses.Name(job.Status),
            ["deadline"] = Timestamps.Format(job.Deadline!.Value),
        }.ToJsonString());
        await audit.AppendAsync(new AuditEvent(
            $"{job.Id}:overdue", job.TenantId, now, Actor, "request.overdue", $"request/{job.Id}", AuditActions.Failure, details.RootElement.Clone()), cancellationToken);
        return await jobs.TryUpdateAsync(job.TenantId, job.Id, JobTransitions.MarkOverdue(now), cancellationToken) is not null;
    }
}
