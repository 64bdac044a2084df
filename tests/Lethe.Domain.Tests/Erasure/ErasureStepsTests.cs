using System.Text.Json;
using Lethe.Domain.Erasure;
using Lethe.Domain.Jobs;
using Lethe.Domain.Records;
using Lethe.Domain.Tests.Jobs;
using Microsoft.Extensions.Time.Testing;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Requests;

namespace Lethe.Domain.Tests.Erasure;

/// <summary>
/// The deletion workflow's steps against in-memory ports: the certificate and the shred decide from the job's counters and
/// from consistent reads, never from an index page that may be stale (issue 11, finding 4); a legal hold pauses the erasure
/// (finding 12).
/// </summary>
public sealed class ErasureStepsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly ErasureHarness _h = new();

    [Fact]
    public async Task Purge_page_when_a_stale_page_shows_items_a_crashed_run_already_purged_should_still_certify_every_item_and_delete_the_key()
    {
        var state = await _h.ThroughTheWindowAsync();
        // A first run purged every item and died before recording its page; the index has not caught up with that yet.
        _h.Inventory.SyncOnEveryWrite = false;
        foreach (var id in _h.Inventory.Truth.Keys.ToList())
        {
            _h.Inventory.Truth[id] = _h.Inventory.Truth[id] with { State = ItemState.Purged, VersionsDeleted = id == "file-1" ? 2 : 0 };
        }

        state = await _h.ShredAllAsync(await _h.PurgeAllAsync(state));
        await _h.Steps.Certify.RunAsync(state, Ct);

        state.ShredMethod.Should().Be("kek-deleted", "nothing survived, whatever the stale page showed");
        _h.Keys.CurrentKekId.Should().BeNull();
        var counts = (await _h.CertificateAsync()).GetProperty("counts");
        counts.GetProperty("itemsErased").GetInt64().Should().Be(3);
        counts.GetProperty("objectVersionsDeleted").GetInt64().Should().Be(2);
        (await _h.Jobs.FindAsync(ErasureHarness.Tenant, "job-1", Ct))!.Counts.PurgedByCategory.Should().BeEquivalentTo(new Dictionary<string, long> { ["transcript"] = 2, ["recording"] = 1 });
    }

    [Fact]
    public async Task Purge_page_when_replayed_with_the_same_input_should_count_each_item_once()
    {
        var state = await _h.ThroughTheWindowAsync(pageSize: 2);

        var first = await _h.Steps.PurgePage.RunAsync(state, Ct);
        var replay = await _h.Steps.PurgePage.RunAsync(state, Ct);

        replay.Should().Be(first);
        var job = (await _h.Jobs.FindAsync(ErasureHarness.Tenant, "job-1", Ct))!;
        job.Counts.Purged.Should().Be(2);
        job.Counts.PurgedByStore.Values.Sum().Should().Be(2);
    }

    [Fact]
    public async Task Shred_when_the_counters_say_nothing_survives_should_delete_the_key_even_if_the_index_still_shows_items_unpurged()
    {
        var state = await _h.PurgeAllAsync(await _h.ThroughTheWindowAsync());
        // The index lags behind the purge: every item still looks soft-deleted there.
        _h.Inventory.SyncOnEveryWrite = false;
        foreach (var id in _h.Inventory.Truth.Keys.ToList())
        {
            _h.Inventory.Truth[id] = _h.Inventory.Truth[id] with { State = ItemState.SoftDeleted };
        }

        _h.Inventory.SyncIndex();
        foreach (var id in _h.Inventory.Truth.Keys.ToList())
        {
            _h.Inventory.Truth[id] = _h.Inventory.Truth[id] with { State = ItemState.Purged };
        }

        state = await _h.ShredAllAsync(state);

        state.ShredMethod.Should().Be("kek-deleted");
        _h.Keys.RewrappedRecords.Should().BeEmpty();
    }

    [Fact]
    public async Task Shred_when_a_restored_record_survives_should_rewrap_it_page_by_page_and_replace_the_key_once()
    {
        var now = _h.Clock.GetUtcNow();
        var job = await ThroughTheWindowPreparingAsync(pageSize: 1, restore: "rec-2");

        var state = await _h.ShredAllAsync(await _h.PurgeAllAsync(job));

        state.ShredMethod.Should().Be("kek-replaced");
        _h.Keys.RewrappedRecords.Should().Equal("rec-2");
        _h.Keys.DirectoryRewraps.Should().Be(1);
        _h.Keys.Destroyed.Should().Equal("kek-1");
        _h.Keys.CurrentKekId.Should().Be("kek-2");
        _h.Clock.GetUtcNow().Should().BeAfter(now);
    }

    /// <summary>Like <see cref="ThroughTheWindowAsync"/>, restoring one item inside the window.</summary>
    private async Task<ErasureState> ThroughTheWindowPreparingAsync(int pageSize, string restore)
    {
        var now = _h.Clock.GetUtcNow();
        var job = new Job
        {
            Id = "job-1", TenantId = ErasureHarness.Tenant, Type = JobType.Deletion, SubjectRef = ErasureHarness.Subject, Status = JobStatus.Queued, Phase = JobPhases.Validate,
            CreatedAt = now, UpdatedAt = now, PurgeAt = now.AddDays(29), Deadline = now.AddDays(30), RequestedBy = "admin",
        };
        await _h.Jobs.CreateAsync(job, null, Ct);
        var state = await _h.Steps.Validate.RunAsync(new ErasureState(ErasureHarness.Tenant, job.Id, 1) { PageSize = pageSize }, Ct);
        do
        {
            state = await _h.Steps.SoftDeletePage.RunAsync(state, Ct);
        }
        while (state.More);

        (await _h.Inventory.RestoreAsync(ErasureHarness.Tenant, restore, _h.Clock.GetUtcNow(), Ct)).Should().BeTrue();
        _h.Clock.Advance(TimeSpan.FromDays(29));
        return await _h.Steps.BeginPurge.RunAsync(state, Ct);
    }

    [Fact]
    public async Task Purge_page_when_an_item_the_soft_delete_never_saw_is_still_active_should_purge_it_instead_of_certifying_a_survivor()
    {
        var state = await _h.ThroughTheWindowAsync();
        // Written just before the lock, and missing from the index the soft-delete pages read.
        _h.Inventory.Truth["rec-late"] = ErasureHarness.Item("rec-late", "record", "journal", "dynamodb");

        _h.Inventory.SyncIndex();
        state = await _h.ShredAllAsync(await _h.PurgeAllAsync(state));
        await _h.Steps.Certify.RunAsync(state, Ct);

        _h.Inventory.Truth["rec-late"].State.Should().Be(ItemState.Purged);
        state.ShredMethod.Should().Be("kek-deleted", "nobody chose to keep it, so it is no survivor");
        (await _h.CertificateAsync()).GetProperty("counts").GetProperty("itemsErased").GetInt64().Should().Be(4);
    }

    [Fact]
    public async Task Shred_when_an_item_failed_should_refuse_and_keep_the_key()
    {
        _h.Purger.Failing.Add("file-1");
        var state = await _h.PurgeAllAsync(await _h.ThroughTheWindowAsync());

        var shred = async () => await _h.Steps.Shred.RunAsync(state, Ct);

        await shred.Should().ThrowAsync<ErasureIncompleteException>();
        _h.Keys.CurrentKekId.Should().Be("kek-1");
        (await _h.Jobs.FindAsync(ErasureHarness.Tenant, "job-1", Ct))!.Errors.Should().ContainSingle(e => e.ItemId == "file-1");
    }

    [Fact]
    public async Task Begin_purge_when_a_hold_was_placed_during_the_window_should_pause_in_phase_held_and_delete_nothing()
    {
        var state = await _h.ThroughTheWindowAsync(holdDuringWindow: true);

        state.Held.Should().BeTrue();
        var job = (await _h.Jobs.FindAsync(ErasureHarness.Tenant, "job-1", Ct))!;
        job.Status.Should().Be(JobStatus.Running);
        job.Phase.Should().Be(JobPhases.Held);
        _h.Purger.Purged.Should().BeEmpty();
        _h.Evidence.Events.Values.Should().Contain(e => e.Action == "erasure.held");
    }

    [Fact]
    public async Task Purge_page_when_a_hold_is_placed_between_pages_should_pause_before_the_next_page()
    {
        var state = await _h.ThroughTheWindowAsync(pageSize: 1);
        state = await _h.Steps.PurgePage.RunAsync(state, Ct);
        _h.Holds.HeldSubjects.Add(ErasureHarness.Subject);

        state = await _h.Steps.PurgePage.RunAsync(state, Ct);

        state.Held.Should().BeTrue();
        state.More.Should().BeFalse();
        _h.Purger.Purged.Should().HaveCount(1);
        (await _h.Jobs.FindAsync(ErasureHarness.Tenant, "job-1", Ct))!.Phase.Should().Be(JobPhases.Held);
    }

    [Fact]
    public async Task Resume_held_when_the_last_hold_is_released_should_start_the_next_execution_at_the_purge_and_certify_everything()
    {
        await _h.ThroughTheWindowAsync(holdDuringWindow: true);
        var workflows = _h.Workflows;
        var requests = new RequestService(_h.Jobs, workflows, _h.Holds, _h.Inventory, _h.Clock, new Lethe.Domain.Tests.Notifications.RecordingNotifications());
        (await requests.Held.ResumeAsync(ErasureHarness.Tenant, ErasureHarness.Subject, Ct)).Should().BeNull("a hold still stands");
        _h.Holds.HeldSubjects.Clear();

        var resumed = await requests.Held.ResumeAsync(ErasureHarness.Tenant, ErasureHarness.Subject, Ct);
        var again = await requests.Held.ResumeAsync(ErasureHarness.Tenant, ErasureHarness.Subject, Ct);

        resumed!.Execution.Should().Be(2);
        again.Should().BeNull("the job is no longer held");
        workflows.Inputs.Should().ContainSingle().Which.Should().Be(new WorkflowInput(ErasureHarness.Tenant, "job-1", 2) { Resume = JobPhases.Purge });
        var state = ErasureState.From(workflows.Inputs[0]);
        state = await _h.Steps.Validate.RunAsync(state, Ct);
        state = await _h.ShredAllAsync(await _h.PurgeAllAsync(state));
        await _h.Steps.Certify.RunAsync(state, Ct);
        (await _h.CertificateAsync()).GetProperty("counts").GetProperty("itemsErased").GetInt64().Should().Be(3);
    }

    [Fact]
    public async Task Purge_page_when_a_hold_is_placed_after_its_check_but_before_its_write_should_purge_nothing_and_pause()
    {
        var state = await _h.ThroughTheWindowAsync();
        _h.Inventory.BeforeNextPurgeWrite = () => _h.Holds.HeldSubjects.Add(ErasureHarness.Subject);

        state = await _h.Steps.PurgePage.RunAsync(state, Ct);

        state.Held.Should().BeTrue();
        _h.Purger.Purged.Should().BeEmpty("the move to purging is conditional on no hold, in its own write");
        _h.Inventory.Truth.Values.Should().OnlyContain(i => i.State == ItemState.SoftDeleted);
        (await _h.Jobs.FindAsync(ErasureHarness.Tenant, "job-1", Ct))!.Phase.Should().Be(JobPhases.Held);
    }

    [Fact]
    public async Task Soft_delete_page_when_a_resume_runs_it_again_after_a_restore_should_leave_the_restored_item_active_and_certify_it_as_restored()
    {
        var job = await _h.SubmitAsync();
        var state = await _h.SoftDeleteAllAsync(await _h.Steps.Validate.RunAsync(new ErasureState(ErasureHarness.Tenant, job.Id, 1), Ct));
        var requests = new RequestService(_h.Jobs, _h.Workflows, _h.Holds, _h.Inventory, _h.Clock, new Lethe.Domain.Tests.Notifications.RecordingNotifications());
        (await requests.RestoreItemAsync(ErasureHarness.Tenant, "rec-1", Ct)).Change.Should().Be(JobChange.Done);

        // A resume after a hold runs the soft-delete from its first page again.
        await _h.Jobs.TryUpdateAsync(ErasureHarness.Tenant, job.Id, new JobUpdate([JobStatus.Running], _h.Clock.GetUtcNow()) { Phase = JobPhases.SoftDelete }, Ct);
        state = await _h.SoftDeleteAllAsync(state with { Cursor = null, Page = 0 });
        _h.Clock.Advance(TimeSpan.FromDays(29));
        state = await _h.ShredAllAsync(await _h.PurgeAllAsync(await _h.Steps.BeginPurge.RunAsync(state, Ct)));
        await _h.Steps.Certify.RunAsync(state, Ct);

        _h.Inventory.Truth["rec-1"].State.Should().Be(ItemState.Active, "the restore was kept");
        _h.Purger.Purged.Should().BeEquivalentTo(["rec-2", "file-1"]);
        var counts = (await _h.CertificateAsync()).GetProperty("counts");
        counts.GetProperty("itemsErased").GetInt64().Should().Be(2);
        counts.GetProperty("restoredBeforePurge").GetInt64().Should().Be(1);
    }

    [Fact]
    public async Task Soft_delete_page_when_a_cancelled_erasure_left_an_item_hidden_should_take_it_over_so_it_is_purged_and_certified_by_this_one()
    {
        _h.Inventory.Add(ErasureHarness.Item("rec-old", "record", "transcript", "dynamodb") with
        {
            State = ItemState.SoftDeleted, ErasureJobId = "job-0", PurgeAt = _h.Clock.GetUtcNow().AddDays(60),
        });

        var state = await _h.ThroughTheWindowAsync();
        state = await _h.ShredAllAsync(await _h.PurgeAllAsync(state));
        await _h.Steps.Certify.RunAsync(state, Ct);

        _h.Inventory.Truth["rec-old"].State.Should().Be(ItemState.Purged);
        (await _h.CertificateAsync()).GetProperty("counts").GetProperty("itemsErased").GetInt64().Should().Be(4);
        (await _h.Jobs.FindAsync(ErasureHarness.Tenant, "job-1", Ct))!.Counts.Failed.Should().Be(0);
    }

    [Fact]
    public async Task Soft_delete_page_when_a_hold_paused_the_job_while_its_last_page_ran_should_leave_the_job_held()
    {
        var job = await _h.SubmitAsync();
        var state = await _h.Steps.Validate.RunAsync(new ErasureState(ErasureHarness.Tenant, job.Id, 1), Ct);
        await _h.Jobs.TryUpdateAsync(ErasureHarness.Tenant, job.Id, new JobUpdate([JobStatus.Running], _h.Clock.GetUtcNow()) { Phase = JobPhases.Held }, Ct);

        var step = () => _h.Steps.SoftDeletePage.RunAsync(state, Ct);

        await step.Should().ThrowAsync<JobNotActiveException>();
        (await _h.Jobs.FindAsync(ErasureHarness.Tenant, job.Id, Ct))!.Phase.Should().Be(JobPhases.Held);
    }

    [Fact]
    public async Task Steps_when_their_execution_was_superseded_by_a_later_one_should_do_nothing()
    {
        var state = await _h.ThroughTheWindowAsync();
        await _h.Jobs.TryUpdateAsync(ErasureHarness.Tenant, "job-1", new JobUpdate([JobStatus.Running], _h.Clock.GetUtcNow()) { NextExecution = true }, Ct);

        var purge = () => _h.Steps.PurgePage.RunAsync(state, Ct);

        await purge.Should().ThrowAsync<JobNotActiveException>();
        _h.Purger.Purged.Should().BeEmpty();
    }

    [Fact]
    public async Task Record_failure_when_the_job_is_paused_by_a_hold_should_leave_it_held_and_locked()
    {
        await _h.ThroughTheWindowAsync(holdDuringWindow: true);

        await _h.Steps.RecordFailure.RunAsync(new FailedStep(ErasureHarness.Tenant, "job-1", 1, "States.TaskFailed", "the stopped execution's step failed"), Ct);

        var job = (await _h.Jobs.FindAsync(ErasureHarness.Tenant, "job-1", Ct))!;
        job.Status.Should().Be(JobStatus.Running);
        job.Phase.Should().Be(JobPhases.Held);
        (await _h.Jobs.OpenErasureAsync(ErasureHarness.Tenant, ErasureHarness.Subject, Ct)).Should().Be("job-1");
    }
}
