using Lethe.Domain.Exports;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;

namespace Lethe.Domain.Tests.Exports.Steps;

/// <summary>Collect (workflows/export.asl.json → CollectStep).</summary>
public sealed class CollectStepTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly ExportHarness _h = new();

    [Fact]
    public async Task Collect_when_replayed_should_count_the_subjects_items_once_and_move_the_job_to_package()
    {
        var job = await _h.SubmitAsync();
        var state = new ExportState(ExportHarness.Tenant, job.Id, 1);

        var collected = await _h.Steps.Collect.RunAsync(state, Ct);
        await _h.Steps.Collect.RunAsync(state, Ct);

        collected.More.Should().BeTrue();
        collected.Volume.Should().Be(0);
        var stored = (await _h.Jobs.FindAsync(ExportHarness.Tenant, job.Id, Ct))!;
        stored.Status.Should().Be(JobStatus.Running);
        stored.Phase.Should().Be(JobPhases.Package);
        stored.Counts.Total.Should().Be(5);
        _h.Evidence.Events.Values.Count(e => e.Action == "export.start").Should().Be(1);
    }

    [Fact]
    public async Task Collect_when_the_job_is_an_erasure_should_refuse_and_change_nothing()
    {
        var job = await _h.SubmitAsync(JobType.Deletion);

        var collect = () => _h.Steps.Collect.RunAsync(new ExportState(ExportHarness.Tenant, job.Id, 1), Ct);

        await collect.Should().ThrowAsync<JobNotActiveException>();
        (await _h.Jobs.FindAsync(ExportHarness.Tenant, job.Id, Ct))!.Status.Should().Be(JobStatus.Queued);
    }

    [Fact]
    public async Task Collect_when_the_export_was_cancelled_should_do_nothing()
    {
        var job = await _h.SubmitAsync();
        await _h.Jobs.TryUpdateAsync(ExportHarness.Tenant, job.Id, JobTransitions.Cancel(job.Type, null, _h.Clock.GetUtcNow()), Ct);

        var collect = () => _h.Steps.Collect.RunAsync(new ExportState(ExportHarness.Tenant, job.Id, 1), Ct);

        await collect.Should().ThrowAsync<JobNotActiveException>();
        _h.Evidence.Events.Should().BeEmpty();
    }
}
