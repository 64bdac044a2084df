using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Tenancy;

namespace Lethe.Domain.Offboarding.Steps;

/// <summary>
/// Begin: the job moves to <c>drain</c> (no cancel after this) and the tenant to <c>offboarding</c>, so it refuses every change
/// (409) from the moment each writer's cached tenant catches up, which the Wait after this step waits out. A resumed run (a
/// hand-over, a restart, a replay) is routed to where its job stands, with the cursor it carries.
/// </summary>
public sealed class BeginStep(TenantOffboardingPorts ports) : OffboardingStep(ports)
{
    public override async Task<TenantOffboardingState> RunAsync(TenantOffboardingState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await OpenJobAsync(state, cancellationToken);
        state = state with
        {
            FinalExport = job.FinalExport, More = false, HandOver = false, PagesInExecution = 0, WaitUntil = Timestamps.Format(Now),
            PageSize = Math.Clamp(state.PageSize, 1, TenantOffboardingWorkflow.PageSize),
        };
        if (job.Status == JobStatus.Running && job.Phase != JobPhases.Validate)
        {
            return job.Phase switch
            {
                // Replayed after the move: the tenant must be offboarding (set now if the first run died before), and writers get their wait.
                JobPhases.Drain => state with { Route = OffboardingRoutes.Drain, WaitUntil = Timestamps.Format(await MarkOffboardingAsync(job, cancellationToken) ? Now + Ports.WriterCacheAge : Now) },
                JobPhases.Package => state with { Route = OffboardingRoutes.Export },
                JobPhases.DownloadWindow => state with { Route = OffboardingRoutes.DownloadWindow, WaitUntil = Timestamps.Format(job.DownloadExpiresAt ?? Now) },
                JobPhases.Purge => state with { Route = OffboardingRoutes.Purge },
                JobPhases.Shred => state with { Route = OffboardingRoutes.Shred },
                JobPhases.Certify => state with { Route = OffboardingRoutes.Certify },
                _ => throw new JobNotActiveException($"Job {job.Id} is in phase {job.Phase}, where an offboarding does not resume."),
            };
        }

        var tenant = await TenantAsync(job, cancellationToken);
        if (tenant.State == TenantState.Terminated)
        {
            throw new JobNotActiveException($"Tenant {job.TenantId} is terminated already.");
        }

        job = await MoveAsync(job, JobTransitions.Start(JobPhases.Validate, JobPhases.Drain, Now), cancellationToken);
        await MarkOffboardingAsync(job, cancellationToken);
        await AuditOnceAsync(job, "begin", "tenant-offboarding.begin", AuditActions.Success, new JsonObject
        {
            ["finalExport"] = job.FinalExport,
            ["deadline"] = job.Deadline is { } deadline ? AuditChain.FormatTime(deadline) : null,
        }, cancellationToken);
        return state with { Route = OffboardingRoutes.Drain, WaitUntil = Timestamps.Format(Now + Ports.WriterCacheAge), Cursor = null, Page = 0 };
    }

    /// <summary>The tenant refuses changes from now on; true when this call had to set it.</summary>
    private async Task<bool> MarkOffboardingAsync(Job job, CancellationToken cancellationToken)
    {
        var marked = false;
        await ChangeTenantAsync(job, t =>
        {
            if (t.State != TenantState.Active)
            {
                return null;
            }

            marked = true;
            return t with { State = TenantState.Offboarding };
        }, cancellationToken);
        return marked;
    }
}
