using Lethe.Domain.Erasure;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Tests.Erasure;

namespace Lethe.Domain.Tests.Jobs.Workflow;

/// <summary>HandOver (the kernel's HandOverStep, as the deletion workflow's HandOver state uses it).</summary>
public sealed class HandOverStepTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly ErasureHarness _h = new();

    private async Task<ErasureState> MidSoftDeleteAsync()
    {
        var job = await _h.SubmitAsync();
        var state = await _h.Steps.Validate.RunAsync(new ErasureState(ErasureHarness.Tenant, job.Id, 1) { PageSize = 1, PagesPerExecution = 1 }, Ct);
        return await _h.Steps.SoftDeletePage.RunAsync(state, Ct);
    }

    [Fact]
    public async Task Hand_over_should_start_the_next_execution_at_the_cursor_in_the_jobs_phase_and_end_this_one()
    {
        var state = await MidSoftDeleteAsync();

        var ended = await _h.Steps.HandOver.RunAsync(state, Ct);

        ended.HandOver.Should().BeTrue();
        ended.More.Should().BeFalse();
        _h.Workflows.Inputs.Should().ContainSingle().Which.Should().Be(new WorkflowInput(ErasureHarness.Tenant, "job-1", 2)
        {
            Resume = JobPhases.SoftDelete, Cursor = state.Cursor, Page = 1, PageSize = 1, PagesPerExecution = 1,
        });
        var job = (await _h.Jobs.FindAsync(ErasureHarness.Tenant, "job-1", Ct))!;
        job.Execution.Should().Be(2);
        job.ExecutionArn.Should().EndWith("job-1-2");
    }

    [Fact]
    public async Task Hand_over_when_the_next_execution_continues_should_hide_the_rest_and_supersede_the_old_one()
    {
        var state = await MidSoftDeleteAsync();
        await _h.Steps.HandOver.RunAsync(state, Ct);

        var next = ErasureState.From(_h.Workflows.Inputs[0]);
        next = await _h.SoftDeleteAllAsync(await _h.Steps.Validate.RunAsync(next, Ct));
        var stale = () => _h.Steps.SoftDeletePage.RunAsync(state, Ct);

        next.More.Should().BeFalse();
        (await _h.Jobs.FindAsync(ErasureHarness.Tenant, "job-1", Ct))!.Counts.SoftDeleted.Should().Be(3);
        await stale.Should().ThrowAsync<JobNotActiveException>();
    }

    [Fact]
    public async Task Hand_over_when_the_job_was_paused_by_a_hold_meanwhile_should_start_nothing()
    {
        var state = await MidSoftDeleteAsync();
        await new HeldErasures(_h.Jobs, _h.Workflows, _h.Holds, _h.Clock).PauseAsync(ErasureHarness.Tenant, ErasureHarness.Subject, Ct);

        var handOver = () => _h.Steps.HandOver.RunAsync(state, Ct);

        await handOver.Should().ThrowAsync<JobNotActiveException>();
        _h.Workflows.Inputs.Should().BeEmpty();
        (await _h.Jobs.FindAsync(ErasureHarness.Tenant, "job-1", Ct))!.Execution.Should().Be(1);
    }
}
