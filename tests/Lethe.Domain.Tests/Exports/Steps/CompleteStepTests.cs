using Lethe.Domain.Exports;
using Lethe.Domain.Jobs;

namespace Lethe.Domain.Tests.Exports.Steps;

/// <summary>Complete (workflows/export.asl.json → Exports.Steps.CompleteStep).</summary>
public sealed class CompleteStepTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly ExportHarness _h = new();

    private async Task<ExportState> PackagedAsync()
    {
        var job = await _h.SubmitAsync();
        return await _h.PackageAllAsync(await _h.Steps.Collect.RunAsync(new ExportState(ExportHarness.Tenant, job.Id, 1), Ct));
    }

    [Fact]
    public async Task Complete_should_make_the_export_ready_with_a_link_that_expires_in_seven_days()
    {
        var state = await PackagedAsync();

        var done = await _h.Steps.Complete.RunAsync(state, Ct);

        done.More.Should().BeFalse();
        done.Volume.Should().Be(3);
        var job = (await _h.Jobs.FindAsync(ExportHarness.Tenant, "exp-1", Ct))!;
        job.Status.Should().Be(JobStatus.Completed);
        job.Phase.Should().Be(JobPhases.Done);
        job.DownloadExpiresAt.Should().Be(_h.Clock.GetUtcNow().AddDays(7));
    }

    [Fact]
    public async Task Complete_when_replayed_later_should_keep_the_first_expiry_and_audit_once()
    {
        var state = await PackagedAsync();
        await _h.Steps.Complete.RunAsync(state, Ct);
        var expires = (await _h.Jobs.FindAsync(ExportHarness.Tenant, "exp-1", Ct))!.DownloadExpiresAt;
        _h.Clock.Advance(TimeSpan.FromHours(2));

        await _h.Steps.Complete.RunAsync(state, Ct);

        (await _h.Jobs.FindAsync(ExportHarness.Tenant, "exp-1", Ct))!.DownloadExpiresAt.Should().Be(expires);
        _h.Evidence.Events.Values.Count(e => e.Action == "export.complete").Should().Be(1);
    }
}
