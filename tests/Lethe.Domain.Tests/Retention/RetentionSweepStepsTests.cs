using Lethe.Domain.Jobs;
using Lethe.Domain.Policies;
using Lethe.Domain.Records;
using Lethe.Domain.Retention;
using Lethe.Domain.Tenancy;
using Lethe.Domain.Tests.Erasure;
using Lethe.Domain.Tests.Jobs;
using Microsoft.Extensions.Time.Testing;

namespace Lethe.Domain.Tests.Retention;

public sealed class RetentionSweepStepsTests
{
    private const string Tenant = "t1";
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly FakeTimeProvider _clock = new(Start);
    private readonly InMemoryJobStore _jobs = new();
    private readonly InMemoryErasureInventory _inventory = new();
    private readonly InMemoryPurger _purger = new();
    private readonly InMemoryHolds _holds = new();
    private readonly InMemoryEvidence _evidence = new();
    private readonly InMemoryWorkflows _workflows = new();
    private readonly InMemoryRetention _retention;
    private readonly InMemoryArchiver _archiver;
    private readonly InMemoryTenants _tenants = new();
    private readonly RetentionSteps _steps;

    public RetentionSweepStepsTests()
    {
        _retention = new InMemoryRetention(_inventory);
        _archiver = new InMemoryArchiver(_inventory, _holds);
        var tenants = _tenants;
        tenants.Items[Tenant] = new Tenant(Tenant, "Acme", TenantState.Active, Start.AddYears(-3), 1);
        _inventory.Holds = _holds;
        _inventory.Data = _purger;
        _steps = new RetentionSteps(
            new RetentionPorts(
                _jobs, _retention, _inventory, new InMemoryManifests(), _purger, _archiver, _retention, _holds, _evidence, _evidence, _evidence, _evidence,
                new Lethe.Domain.BackupScrub.BackupScrubRequests(_jobs, _workflows, tenants, _clock), tenants, _clock)
            {
                ShredQuietPeriod = TimeSpan.FromMinutes(10),
                // The in-memory ports are plain dictionaries: one subject at a time.
                SubjectConcurrency = 1,
            },
            _workflows);
    }

    /// <summary>An item of <paramref name="subject"/> whose retention ended <paramref name="daysAgo"/> days before the run (negative: not yet).</summary>
    private void Stored(string id, string subject, int daysAgo, string category = "note", string store = "dynamodb")
    {
        var location = store == "dynamodb"
            ? new Dictionary<string, string> { ["store"] = store, ["table"] = "Records", ["key"] = $"RECORD#{id}" }
            : new Dictionary<string, string> { ["store"] = store, ["bucket"] = "Data", ["key"] = $"t1/{subject}/{id}" };
        _inventory.Add(new InventoryItem(id, store == "s3" ? "file" : "record", category, ItemState.Active, location, SubjectRef: subject, RetainUntil: Start.AddDays(-daysAgo)));
        _retention.Keks.Add(subject);
    }

    private async Task<Job> SubmitAsync()
    {
        var outcome = await new RetentionSweepRequests(_jobs, _workflows, _clock).SubmitAsync(
            new Tenant(Tenant, "Acme", TenantState.Active, Start.AddYears(-3), 1), "admin", "tenant-admin", Ct);
        return outcome.Should().BeOfType<global::Lethe.Domain.Requests.Accepted>().Subject.Job;
    }

    /// <summary>Runs the workflow's steps as the ASL does, until it completes or hands over.</summary>
    private async Task<RetentionSweepState> RunAsync(RetentionSweepState state)
    {
        if (state.Resume is null)
        {
            state = await _steps.Begin.RunAsync(state, Ct);
        }

        while (true)
        {
            state = await _steps.SelectPage.RunAsync(state, Ct);
            if (!state.Selected)
            {
                break;
            }

            state = await _steps.PurgePage.RunAsync(state, Ct);
            if (state.HandOver)
            {
                return await _steps.HandOver.RunAsync(state, Ct);
            }

            if (!state.More)
            {
                break;
            }
        }

        state = await _steps.Certify.RunAsync(state, Ct);
        state = await _steps.StartBackupScrub.RunAsync(state, Ct);
        return await _steps.Complete.RunAsync(state, Ct);
    }

    private List<Job> Scrubs => _jobs.Items.Values.Where(j => j.Type == JobType.BackupScrub).ToList();

    [Fact]
    public async Task A_run_that_purged_something_starts_its_backup_scrub_once_even_when_the_step_is_replayed()
    {
        Stored("r1", "ann", daysAgo: 3);
        var job = await SubmitAsync();
        var state = await RunAsync(new RetentionSweepState(Tenant, job.Id, 1));

        var scrub = Scrubs.Should().ContainSingle().Subject;
        scrub.SourceJobId.Should().Be(job.Id);
        scrub.SubjectRef.Should().Be(global::Lethe.Domain.Requests.RequestService.TenantWideSubject, "a run covers many subjects");
        _workflows.Started.Should().Contain(Job.ExecutionNameOf(scrub.Id, 1));
        await FluentActions.Awaiting(() => _steps.StartBackupScrub.RunAsync(state, Ct)).Should().ThrowAsync<Lethe.Domain.Jobs.Workflow.JobNotActiveException>("the run has completed");
        Scrubs.Should().ContainSingle();
    }

    [Fact]
    public async Task A_run_that_purged_nothing_owes_no_backup_scrub()
    {
        Stored("r1", "ann", daysAgo: -3);
        var job = await SubmitAsync();

        await RunAsync(new RetentionSweepState(Tenant, job.Id, 1));

        JobOf(job.Id).Status.Should().Be(JobStatus.Completed);
        Scrubs.Should().BeEmpty();
    }

    private Job JobOf(string id) => _jobs.Items[id];

    [Fact]
    public async Task A_run_purges_every_due_item_and_only_those_and_certifies_what_it_did()
    {
        Stored("r1", "ann", daysAgo: 3);
        Stored("r2", "ann", daysAgo: 1, category: "transcript");
        Stored("f1", "ann", daysAgo: 2, store: "s3");
        Stored("r3", "ann", daysAgo: -5);
        var job = await SubmitAsync();

        await RunAsync(new RetentionSweepState(Tenant, job.Id, 1) { PageSize = 2 });

        _inventory.Truth.Values.Where(i => i.State == ItemState.Purged).Select(i => i.ItemId).Should().BeEquivalentTo(["r1", "r2", "f1"]);
        _inventory.Truth["r3"].State.Should().Be(ItemState.Active, "its retention has not ended");
        var done = JobOf(job.Id);
        done.Status.Should().Be(JobStatus.Completed);
        done.Counts.Purged.Should().Be(3);
        done.Counts.PurgedByCategory.Should().BeEquivalentTo(new Dictionary<string, long> { ["note"] = 2, ["transcript"] = 1 });
        done.Counts.PurgedByStore.Should().BeEquivalentTo(new Dictionary<string, long> { ["dynamodb"] = 2, ["s3"] = 1 });
        _evidence.Certificates.Values.Should().ContainSingle(c => c.Type == "retention" && c.RequestId == job.Id);
        done.CertificateId.Should().Be($"cert_{job.Id}");
        _retention.CompletedThrough.Should().Be(job.CreatedAt);
        _retention.Keks.Should().Contain("ann", "r3 is still stored under it");
    }

    [Fact]
    public async Task A_held_subjects_due_items_are_skipped_counted_and_left_for_a_later_run()
    {
        Stored("r1", "cal", daysAgo: 3);
        Stored("r2", "dan", daysAgo: 3);
        _holds.HeldSubjects.Add("cal");
        var job = await SubmitAsync();

        await RunAsync(new RetentionSweepState(Tenant, job.Id, 1));

        _inventory.Truth["r1"].State.Should().Be(ItemState.Active);
        _inventory.Truth["r2"].State.Should().Be(ItemState.Purged);
        JobOf(job.Id).Counts.Held.Should().Be(1);
        JobOf(job.Id).Counts.Purged.Should().Be(1);
        _retention.Deferred.Should().Equal("r1");
        _retention.Keks.Should().Contain("cal").And.NotContain("dan");
    }

    [Fact]
    public async Task A_hold_placed_while_the_page_purges_stops_the_rest_of_that_subject_and_counts_it_held()
    {
        Stored("r1", "eve", daysAgo: 3);
        Stored("f1", "eve", daysAgo: 3, store: "s3");
        _inventory.BeforeNextPurgeWrite = () => _holds.HeldSubjects.Add("eve");
        var job = await SubmitAsync();

        await RunAsync(new RetentionSweepState(Tenant, job.Id, 1));

        _inventory.Truth.Values.Should().OnlyContain(i => i.State == ItemState.Active, "nothing is purged, and what the run hid comes back: a hold keeps data readable");
        JobOf(job.Id).Counts.Held.Should().Be(2);
        _retention.Deferred.Should().BeEquivalentTo(["r1", "f1"], "both wait for a run after the release");
        _retention.Keks.Should().Contain("eve");
    }

    [Fact]
    public async Task A_subject_whose_erasure_is_open_is_left_to_that_erasure()
    {
        Stored("r1", "fay", daysAgo: 3);
        (await _jobs.CreateAsync(new Job
        {
            Id = "job_erasure", TenantId = Tenant, Type = JobType.Deletion, SubjectRef = "fay", Status = JobStatus.Running, Phase = JobPhases.RecoveryWindow,
            CreatedAt = Start, UpdatedAt = Start, RequestedBy = "app",
        }, null, Ct)).Should().BeOfType<JobCreated>();
        var job = await SubmitAsync();

        await RunAsync(new RetentionSweepState(Tenant, job.Id, 1));

        _inventory.Truth["r1"].State.Should().Be(ItemState.Active);
        JobOf(job.Id).Counts.Should().Match<ErasureCounts>(c => c.Purged == 0 && c.Held == 0 && c.Failed == 0);
        _retention.Deferred.Should().Equal("r1");
    }

    [Fact]
    public async Task A_page_run_again_after_a_crash_counts_what_the_first_attempt_purged_exactly_once()
    {
        Stored("r1", "gus", daysAgo: 3);
        Stored("f1", "gus", daysAgo: 3, store: "s3");
        Stored("f2", "hal", daysAgo: 3, store: "s3");
        var job = await SubmitAsync();
        var state = await _steps.SelectPage.RunAsync(await _steps.Begin.RunAsync(new RetentionSweepState(Tenant, job.Id, 1), Ct), Ct);
        _inventory.AfterNextMarkPurged = () => throw new TimeoutException("the Lambda died after its write");

        var crash = () => _steps.PurgePage.RunAsync(state, Ct);
        await crash.Should().ThrowAsync<TimeoutException>();
        JobOf(job.Id).Counts.Purged.Should().Be(0, "the crashed attempt recorded nothing");
        var replayed = await _steps.PurgePage.RunAsync(state, Ct);
        await _steps.PurgePage.RunAsync(state, Ct);

        _inventory.Truth.Values.Should().OnlyContain(i => i.State == ItemState.Purged);
        JobOf(job.Id).Counts.Purged.Should().Be(3, "every item once: those the crashed attempt purged, and the rest");
        _purger.Purged.Should().OnlyHaveUniqueItems("no item's data is deleted twice");
        replayed.More.Should().BeFalse();
    }

    [Fact]
    public async Task A_failed_object_purge_is_counted_listed_on_the_job_and_tried_again_by_a_later_run()
    {
        Stored("f1", "ivy", daysAgo: 3, store: "s3");
        _purger.Failing.Add("f1");
        var first = await SubmitAsync();

        await RunAsync(new RetentionSweepState(Tenant, first.Id, 1));

        JobOf(first.Id).Counts.Failed.Should().Be(1);
        JobOf(first.Id).Errors.Should().ContainSingle(e => e.ItemId == "f1");
        _inventory.Truth["f1"].State.Should().Be(ItemState.Purging);
        _purger.Failing.Clear();
        _clock.Advance(TimeSpan.FromDays(1));
        var second = await SubmitAsync();
        await RunAsync(new RetentionSweepState(Tenant, second.Id, 1));
        _inventory.Truth["f1"].State.Should().Be(ItemState.Purged);
        JobOf(second.Id).Counts.Purged.Should().Be(1);
    }

    [Fact]
    public async Task A_subject_written_to_within_the_quiet_period_keeps_its_key_though_nothing_is_left()
    {
        Stored("r1", "jon", daysAgo: 3);
        Stored("r2", "kim", daysAgo: 3);
        _retention.LastWrite["jon"] = Start.AddMinutes(-2);
        _retention.LastWrite["kim"] = Start.AddHours(-2);
        var job = await SubmitAsync();

        await RunAsync(new RetentionSweepState(Tenant, job.Id, 1));

        _retention.Keks.Should().Contain("jon", "a write that the subject index may not show yet keeps the key").And.NotContain("kim");
    }

    [Fact]
    public async Task A_long_run_hands_over_to_a_fresh_execution_that_continues_from_the_cursor()
    {
        foreach (var i in Enumerable.Range(1, 3))
        {
            Stored($"r{i}", "lea", daysAgo: 3);
        }

        var job = await SubmitAsync();
        var handedOver = await RunAsync(new RetentionSweepState(Tenant, job.Id, 1) { PageSize = 1, PagesPerExecution = 2 });

        handedOver.HandOver.Should().BeTrue();
        var next = _workflows.Inputs[^1];
        next.Execution.Should().Be(2);
        next.Resume.Should().Be(JobPhases.Sweep);
        await RunAsync(RetentionSweepState.From(next));
        JobOf(job.Id).Status.Should().Be(JobStatus.Completed);
        JobOf(job.Id).Counts.Purged.Should().Be(3);
        _inventory.Truth.Values.Should().OnlyContain(i => i.State == ItemState.Purged);
    }

    [Fact]
    public async Task A_second_run_while_one_is_open_is_refused_and_stores_nothing()
    {
        var first = await SubmitAsync();

        var second = await new RetentionSweepRequests(_jobs, _workflows, _clock).SubmitAsync(
            new Tenant(Tenant, "Acme", TenantState.Active, Start, 1), "admin", "tenant-admin", Ct);

        second.Should().BeOfType<global::Lethe.Domain.Requests.ErasureOpen>().Which.JobId.Should().Be(first.Id);
        _jobs.Items.Should().ContainSingle();
    }

    [Fact]
    public async Task A_step_of_a_cancelled_run_does_nothing()
    {
        Stored("r1", "max", daysAgo: 3);
        var job = await SubmitAsync();
        var state = await _steps.SelectPage.RunAsync(await _steps.Begin.RunAsync(new RetentionSweepState(Tenant, job.Id, 1), Ct), Ct);
        await _jobs.TryUpdateAsync(Tenant, job.Id, JobTransitions.Cancel(JobType.RetentionSweep, null, _clock.GetUtcNow()), Ct);

        var act = () => _steps.PurgePage.RunAsync(state, Ct);

        await act.Should().ThrowAsync<Lethe.Domain.Jobs.Workflow.JobNotActiveException>();
        _inventory.Truth["r1"].State.Should().Be(ItemState.Active);
        (await _jobs.OpenErasureAsync(Tenant, global::Lethe.Domain.Requests.RequestService.TenantWideSubject, Ct)).Should().BeNull("the cancel ended the tenant's sweep lock");
    }

    [Fact]
    public async Task An_item_another_job_hid_is_left_to_it_and_once_restored_is_purged_by_the_next_run()
    {
        Stored("r1", "nia", daysAgo: 3);
        _inventory.Truth["r1"] = _inventory.Truth["r1"] with { State = ItemState.SoftDeleted, ErasureJobId = "job_cancelled_erasure", PurgeAt = Start.AddDays(20) };
        var first = await SubmitAsync();

        await RunAsync(new RetentionSweepState(Tenant, first.Id, 1));

        _inventory.Truth["r1"].State.Should().Be(ItemState.SoftDeleted, "the erasure that hid it decides");
        _retention.Deferred.Should().Equal("r1");
        (await _inventory.RestoreAsync(Tenant, "r1", _clock.GetUtcNow(), Ct)).Should().BeTrue();
        _clock.Advance(TimeSpan.FromDays(1));
        var second = await SubmitAsync();
        await RunAsync(new RetentionSweepState(Tenant, second.Id, 1));
        _inventory.Truth["r1"].State.Should().Be(ItemState.Purged, "a restored item past its retention still meets its end");
        JobOf(second.Id).Counts.Purged.Should().Be(1);
    }

    [Fact]
    public async Task An_object_another_run_left_purging_and_purged_by_a_crashed_attempt_is_counted_on_the_replay()
    {
        Stored("f1", "ola", daysAgo: 3, store: "s3");
        _inventory.Truth["f1"] = _inventory.Truth["f1"] with { State = ItemState.Purging, ErasureJobId = "job_failed_run" };
        var job = await SubmitAsync();
        var state = await _steps.SelectPage.RunAsync(await _steps.Begin.RunAsync(new RetentionSweepState(Tenant, job.Id, 1), Ct), Ct);
        _inventory.AfterNextMarkPurged = () => throw new TimeoutException("the Lambda died after its write");

        var crash = () => _steps.PurgePage.RunAsync(state, Ct);
        await crash.Should().ThrowAsync<TimeoutException>();
        await _steps.PurgePage.RunAsync(state, Ct);

        _inventory.Truth["f1"].State.Should().Be(ItemState.Purged);
        JobOf(job.Id).Counts.Purged.Should().Be(1);
    }

    [Fact]
    public async Task A_run_can_be_cancelled_before_it_purges_and_not_after()
    {
        var job = await SubmitAsync();
        JobOf(job.Id).IsCancellable.Should().BeTrue();

        await _steps.Begin.RunAsync(new RetentionSweepState(Tenant, job.Id, 1), Ct);

        JobOf(job.Id).IsCancellable.Should().BeFalse("a cancelled run would leave purges no certificate covers");
    }

    [Fact]
    public async Task The_soft_delete_sweep_leaves_what_a_running_retention_run_has_hidden_to_that_run()
    {
        Stored("r1", "pia", daysAgo: 3);
        var job = await SubmitAsync();
        await _inventory.SoftDeleteAsync(Tenant, [_inventory.Truth["r1"]], job.Id, Start, Start, Ct);

        var swept = await new Lethe.Domain.Erasure.SoftDeleteSweep(_inventory, _purger, _holds, _jobs, _evidence, _clock).SweepAsync(Tenant, Ct);

        swept.Purged.Should().Be(0);
        _inventory.Truth["r1"].State.Should().Be(ItemState.SoftDeleted);
    }

    private void ArchiveCategory(string category, int days, ArchiveTier tier = ArchiveTier.Glacier) =>
        _tenants.Items[Tenant] = _tenants.Items[Tenant] with
        {
            Archive = new ArchiveSettings(new Dictionary<string, ArchiveRule>(_tenants.Items[Tenant].Archive.Categories) { [category] = new(IsoDuration.FromDays(days), tier) }),
        };

    [Fact]
    public async Task Due_items_of_an_archiving_category_are_archived_until_the_runs_moment_plus_the_archive_period_and_the_rest_purged()
    {
        ArchiveCategory("transcript", 180, ArchiveTier.DeepArchive);
        Stored("t1", "jon", daysAgo: 2, category: "transcript");
        Stored("f1", "jon", daysAgo: 2, category: "transcript", store: "s3");
        Stored("n1", "jon", daysAgo: 2);
        Stored("t2", "jon", daysAgo: -3, category: "transcript");
        var job = await SubmitAsync();

        await RunAsync(new RetentionSweepState(Tenant, job.Id, 1));

        _inventory.Truth["t1"].State.Should().Be(ItemState.Archived);
        _inventory.Truth["f1"].State.Should().Be(ItemState.Archived);
        _inventory.Truth["n1"].State.Should().Be(ItemState.Purged, "its category does not archive");
        _inventory.Truth["t2"].State.Should().Be(ItemState.Active, "its retention has not ended");
        _inventory.Truth["t1"].ArchivedUntil.Should().Be(job.CreatedAt.AddDays(180));
        _archiver.Batches.Should().ContainSingle().Which.Should().Match<ArchiveBatch>(b => b.Category == "transcript" && b.Rule.Tier == ArchiveTier.DeepArchive && b.Items.Count == 2);
        var done = JobOf(job.Id);
        done.Counts.Archived.Should().Be(2);
        done.Counts.Purged.Should().Be(1);
        System.Text.Encoding.UTF8.GetString(_evidence.Certificates.Values.Should().ContainSingle().Which.Payload).Should().Contain("\"archived\":2");
        _retention.Keks.Should().Contain("jon", "archived records are still sealed under it");
    }

    [Fact]
    public async Task An_archived_item_is_purged_by_the_first_run_after_its_archive_period_and_not_before()
    {
        ArchiveCategory("transcript", 90);
        Stored("t1", "kim", daysAgo: 1, category: "transcript");
        await RunAsync(new RetentionSweepState(Tenant, (await SubmitAsync()).Id, 1));
        _inventory.Truth["t1"].State.Should().Be(ItemState.Archived);

        _clock.Advance(TimeSpan.FromDays(89));
        var early = await SubmitAsync();
        await RunAsync(new RetentionSweepState(Tenant, early.Id, 1));
        _inventory.Truth["t1"].State.Should().Be(ItemState.Archived, "its archive period has a day left");

        _clock.Advance(TimeSpan.FromDays(2));
        var late = await SubmitAsync();
        await RunAsync(new RetentionSweepState(Tenant, late.Id, 1));

        _inventory.Truth["t1"].State.Should().Be(ItemState.Purged);
        JobOf(late.Id).Counts.Should().Match<ErasureCounts>(c => c.Purged == 1 && c.Archived == 0);
        _retention.Keks.Should().NotContain("kim", "nothing of the subject is left");
    }

    [Fact]
    public async Task A_held_subjects_items_of_an_archiving_category_are_neither_archived_nor_purged()
    {
        ArchiveCategory("transcript", 90);
        Stored("t1", "lou", daysAgo: 2, category: "transcript");
        _holds.HeldSubjects.Add("lou");
        var job = await SubmitAsync();

        await RunAsync(new RetentionSweepState(Tenant, job.Id, 1));

        _inventory.Truth["t1"].State.Should().Be(ItemState.Active);
        JobOf(job.Id).Counts.Should().Match<ErasureCounts>(c => c.Held == 1 && c.Archived == 0);
        _retention.Deferred.Should().Equal("t1");
    }

    [Fact]
    public async Task A_failed_archive_is_counted_listed_and_archived_by_a_later_run()
    {
        ArchiveCategory("transcript", 90);
        Stored("f1", "max", daysAgo: 2, category: "transcript", store: "s3");
        _archiver.Failing.Add("f1");
        var first = await SubmitAsync();
        await RunAsync(new RetentionSweepState(Tenant, first.Id, 1));
        JobOf(first.Id).Counts.Failed.Should().Be(1);
        JobOf(first.Id).Errors.Should().ContainSingle(e => e.ItemId == "f1");
        _inventory.Truth["f1"].State.Should().Be(ItemState.Active);

        _archiver.Failing.Clear();
        _clock.Advance(TimeSpan.FromDays(1));
        var second = await SubmitAsync();
        await RunAsync(new RetentionSweepState(Tenant, second.Id, 1));

        _inventory.Truth["f1"].State.Should().Be(ItemState.Archived);
        JobOf(second.Id).Counts.Archived.Should().Be(1);
    }

    [Fact]
    public async Task A_page_run_again_after_its_archive_counts_the_archived_items_once()
    {
        ArchiveCategory("transcript", 90);
        Stored("t1", "ned", daysAgo: 2, category: "transcript");
        Stored("t2", "ned", daysAgo: 2, category: "transcript");
        var job = await SubmitAsync();
        var state = await _steps.SelectPage.RunAsync(await _steps.Begin.RunAsync(new RetentionSweepState(Tenant, job.Id, 1), Ct), Ct);
        _archiver.AfterNextArchive = () => throw new TimeoutException("the Lambda died after its write");
        var crash = () => _steps.PurgePage.RunAsync(state, Ct);
        await crash.Should().ThrowAsync<TimeoutException>();
        JobOf(job.Id).Counts.Archived.Should().Be(0, "the crashed attempt recorded nothing");

        await _steps.PurgePage.RunAsync(state, Ct);

        JobOf(job.Id).Counts.Archived.Should().Be(2, "the replay finds both archived by this run and counts them once");
        _archiver.Batches.Should().HaveCount(1, "nothing is archived twice");
    }
}
