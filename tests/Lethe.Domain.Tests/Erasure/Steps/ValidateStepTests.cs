using Lethe.Domain.Erasure;
using Lethe.Domain.Jobs;
using Lethe.Domain.Records;

namespace Lethe.Domain.Tests.Erasure.Steps;

/// <summary>Validate (workflows/deletion.asl.json → ValidateStep).</summary>
public sealed class ValidateStepTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly ErasureHarness _h = new();

    [Fact]
    public async Task Validate_when_the_subject_is_held_should_refuse_with_legal_hold_and_hide_nothing()
    {
        var job = await _h.SubmitAsync();
        _h.Holds.HeldSubjects.Add(ErasureHarness.Subject);

        var validate = () => _h.Steps.Validate.RunAsync(new ErasureState(ErasureHarness.Tenant, job.Id, 1), Ct);

        await validate.Should().ThrowAsync<LegalHoldException>();
        _h.Inventory.Truth.Values.Should().OnlyContain(i => i.State == ItemState.Active);
        (await _h.Jobs.FindAsync(ErasureHarness.Tenant, job.Id, Ct))!.Phase.Should().Be(JobPhases.Validate);
    }

    [Fact]
    public async Task Validate_when_run_twice_should_move_the_job_to_soft_delete_and_audit_the_start_once()
    {
        var job = await _h.SubmitAsync();
        var state = new ErasureState(ErasureHarness.Tenant, job.Id, 1);

        await _h.Steps.Validate.RunAsync(state, Ct);
        var replayed = await _h.Steps.Validate.RunAsync(state, Ct);

        var stored = (await _h.Jobs.FindAsync(ErasureHarness.Tenant, job.Id, Ct))!;
        stored.Status.Should().Be(JobStatus.Running);
        stored.Phase.Should().Be(JobPhases.SoftDelete);
        replayed.More.Should().BeTrue();
        replayed.PurgeAt.Should().Be(ErasureStepsTime(job.PurgeAt!.Value));
        _h.Evidence.Events.Values.Count(e => e.Action == "erasure.start").Should().Be(1);
    }

    [Fact]
    public async Task Validate_when_a_hand_over_resumes_the_purge_should_not_check_or_count_again()
    {
        var job = await _h.SubmitAsync();
        _h.Holds.HeldSubjects.Add(ErasureHarness.Subject);

        var resumed = await _h.Steps.Validate.RunAsync(new ErasureState(ErasureHarness.Tenant, job.Id, 1) { Resume = JobPhases.Purge, Cursor = "c-7", Page = 7 }, Ct);

        resumed.Cursor.Should().Be("c-7");
        resumed.Page.Should().Be(7);
        resumed.PagesInExecution.Should().Be(0);
        _h.Evidence.Events.Should().BeEmpty();
    }

    private static string ErasureStepsTime(DateTimeOffset at) => Lethe.Domain.Erasure.Steps.ErasureStep.Time(at);
}
