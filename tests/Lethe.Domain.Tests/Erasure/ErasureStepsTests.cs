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
    public async Task PurgePage_WhenAStalePageShowsItemsACrashedRunAlreadyPurged_ShouldStillCertifyEveryItemAndDeleteTheKey()
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
    public async Task PurgePage_WhenReplayedWithTheSameInput_ShouldCountEachItemOnce()
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
    public async Task Shred_WhenTheCountersSayNothingSurvives_ShouldDeleteTheKeyEvenIfTheIndexStillShowsItemsUnpurged()
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
    public async Task Shred_WhenARestoredRecordSurvives_ShouldRewrapItPageByPageAndReplaceTheKeyOnce()
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
    public async Task PurgePage_WhenAnItemTheSoftDeleteNeverSawIsStillActive_ShouldPurgeItInsteadOfCertifyingASurvivor()
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
    public async Task Shred_WhenAnItemFailed_ShouldRefuseAndKeepTheKey()
    {
        _h.Purger.Failing.Add("file-1");
        var state = await _h.PurgeAllAsync(await _h.ThroughTheWindowAsync());

        var shred = async () => await _h.Steps.Shred.RunAsync(state, Ct);

        await shred.Should().ThrowAsync<ErasureIncompleteException>();
        _h.Keys.CurrentKekId.Should().Be("kek-1");
        (await _h.Jobs.FindAsync(ErasureHarness.Tenant, "job-1", Ct))!.Errors.Should().ContainSingle(e => e.ItemId == "file-1");
    }

    [Fact]
    public async Task BeginPurge_WhenAHoldWasPlacedDuringTheWindow_ShouldPauseInPhaseHeldAndDeleteNothing()
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
    public async Task PurgePage_WhenAHoldIsPlacedBetweenPages_ShouldPauseBeforeTheNextPage()
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
    public async Task ResumeHeld_WhenTheLastHoldIsReleased_ShouldStartTheNextExecutionAtThePurgeAndCertifyEverything()
    {
        await _h.ThroughTheWindowAsync(holdDuringWindow: true);
        var workflows = _h.Workflows;
        var requests = new RequestService(_h.Jobs, workflows, _h.Holds, _h.Inventory, _h.Clock);
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
    public async Task PurgePage_WhenAHoldIsPlacedAfterItsCheckButBeforeItsWrite_ShouldPurgeNothingAndPause()
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
    public async Task SoftDeletePage_WhenAResumeRunsItAgainAfterARestore_ShouldLeaveTheRestoredItemActiveAndCertifyItAsRestored()
    {
        var job = await _h.SubmitAsync();
        var state = await _h.SoftDeleteAllAsync(await _h.Steps.Validate.RunAsync(new ErasureState(ErasureHarness.Tenant, job.Id, 1), Ct));
        var requests = new RequestService(_h.Jobs, _h.Workflows, _h.Holds, _h.Inventory, _h.Clock);
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
    public async Task SoftDeletePage_WhenACancelledErasureLeftAnItemHidden_ShouldTakeItOverSoItIsPurgedAndCertifiedByThisOne()
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
    public async Task SoftDeletePage_WhenAHoldPausedTheJobWhileItsLastPageRan_ShouldLeaveTheJobHeld()
    {
        var job = await _h.SubmitAsync();
        var state = await _h.Steps.Validate.RunAsync(new ErasureState(ErasureHarness.Tenant, job.Id, 1), Ct);
        await _h.Jobs.TryUpdateAsync(ErasureHarness.Tenant, job.Id, new JobUpdate([JobStatus.Running], _h.Clock.GetUtcNow()) { Phase = JobPhases.Held }, Ct);

        var step = () => _h.Steps.SoftDeletePage.RunAsync(state, Ct);

        await step.Should().ThrowAsync<JobNotActiveException>();
        (await _h.Jobs.FindAsync(ErasureHarness.Tenant, job.Id, Ct))!.Phase.Should().Be(JobPhases.Held);
    }

    [Fact]
    public async Task Steps_WhenTheirExecutionWasSupersededByALaterOne_ShouldDoNothing()
    {
        var state = await _h.ThroughTheWindowAsync();
        await _h.Jobs.TryUpdateAsync(ErasureHarness.Tenant, "job-1", new JobUpdate([JobStatus.Running], _h.Clock.GetUtcNow()) { NextExecution = true }, Ct);

        var purge = () => _h.Steps.PurgePage.RunAsync(state, Ct);

        await purge.Should().ThrowAsync<JobNotActiveException>();
        _h.Purger.Purged.Should().BeEmpty();
    }

    [Fact]
    public async Task RecordFailure_WhenTheJobIsPausedByAHold_ShouldLeaveItHeldAndLocked()
    {
        await _h.ThroughTheWindowAsync(holdDuringWindow: true);

        await _h.Steps.RecordFailure.RunAsync(new FailedStep(ErasureHarness.Tenant, "job-1", 1, "States.TaskFailed", "the stopped execution's step failed"), Ct);

        var job = (await _h.Jobs.FindAsync(ErasureHarness.Tenant, "job-1", Ct))!;
        job.Status.Should().Be(JobStatus.Running);
        job.Phase.Should().Be(JobPhases.Held);
        (await _h.Jobs.OpenErasureAsync(ErasureHarness.Tenant, ErasureHarness.Subject, Ct)).Should().Be("job-1");
    }
}
