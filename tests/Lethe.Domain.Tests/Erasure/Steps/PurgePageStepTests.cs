using Lethe.Domain.Erasure;
using Lethe.Domain.Jobs;
using Lethe.Domain.Records;

namespace Lethe.Domain.Tests.Erasure.Steps;

/// <summary>PurgePage (workflows/deletion.asl.json → PurgePageStep): manifests first, then a sweep of what is left.</summary>
public sealed class PurgePageStepTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly ErasureHarness _h = new();

    [Fact]
    public async Task Purge_page_should_read_the_manifests_not_the_index_and_purge_every_item_once()
    {
        var state = await _h.ThroughTheWindowAsync(pageSize: 1);
        _h.Manifests.Pages.Should().HaveCount(3);

        await _h.PurgeAllAsync(state);

        _h.Inventory.Truth.Values.Should().OnlyContain(i => i.State == ItemState.Purged);
        (await _h.Jobs.FindAsync(ErasureHarness.Tenant, "job-1", Ct))!.Counts.Purged.Should().Be(3);
        _h.Purger.Purged.Should().OnlyHaveUniqueItems().And.HaveCount(3);
    }

    [Fact]
    public async Task Soft_delete_when_a_second_pass_ends_sooner_should_remove_the_first_passes_later_pages_so_nothing_is_counted_twice()
    {
        var job = await _h.SubmitAsync();
        await _h.SoftDeleteAllAsync(await _h.Steps.Validate.RunAsync(new ErasureState(ErasureHarness.Tenant, job.Id, 1) { PageSize = 1 }, Ct));
        _h.Manifests.Pages.Keys.Select(k => k.Page).Should().BeEquivalentTo([1L, 2L, 3L]);
        // Resumed after a hold, inside the window: the soft-delete runs again from its first page, its pages cut larger.
        await _h.Jobs.TryUpdateAsync(ErasureHarness.Tenant, job.Id, new JobUpdate([JobStatus.Running], _h.Clock.GetUtcNow()) { Phase = JobPhases.SoftDelete }, Ct);
        var state = await _h.SoftDeleteAllAsync(new ErasureState(ErasureHarness.Tenant, job.Id, 1) { Resume = "start", PageSize = 2, More = true });

        _h.Manifests.Pages.Keys.Select(k => k.Page).Should().BeEquivalentTo([1L, 2L]);
        _h.Clock.Advance(TimeSpan.FromDays(29));
        await _h.PurgeAllAsync(await _h.Steps.BeginPurge.RunAsync(state, Ct));
        (await _h.Jobs.FindAsync(ErasureHarness.Tenant, job.Id, Ct))!.Counts.Purged.Should().Be(3);
    }

    [Fact]
    public async Task Purge_page_when_the_manifests_are_gone_should_still_purge_and_count_what_this_erasure_hid_from_the_sweep()
    {
        var state = await _h.ThroughTheWindowAsync();
        _h.Manifests.Pages.Clear();

        await _h.PurgeAllAsync(state);

        _h.Inventory.Truth.Values.Should().OnlyContain(i => i.State == ItemState.Purged);
        var job = (await _h.Jobs.FindAsync(ErasureHarness.Tenant, "job-1", Ct))!;
        job.Counts.Purged.Should().Be(3);
        job.Counts.Failed.Should().Be(0);
    }

    [Fact]
    public async Task Purge_page_when_an_item_fails_in_its_manifest_page_should_list_it_once_and_not_retry_it_in_the_sweep()
    {
        var state = await _h.ThroughTheWindowAsync();
        _h.Purger.Failing.Add("file-1");

        await _h.PurgeAllAsync(state);

        var job = (await _h.Jobs.FindAsync(ErasureHarness.Tenant, "job-1", Ct))!;
        job.Errors.Should().ContainSingle(e => e.ItemId == "file-1");
        job.Counts.Failed.Should().Be(1);
        job.Counts.Purged.Should().Be(2);
    }

    [Fact]
    public async Task A_sweep_page_that_crashed_after_its_writes_counts_each_item_once_when_replayed()
    {
        var state = await _h.ThroughTheWindowAsync();
        // No manifests: everything is left to the sweep, whose first page writes its own manifest before it purges.
        _h.Manifests.Pages.Clear();
        _h.Inventory.AfterNextMarkPurged = () => throw new TimeoutException("The step's process died after its writes.");
        var crashed = () => _h.Steps.PurgePage.RunAsync(state, Ct);
        await crashed.Should().ThrowAsync<TimeoutException>();
        _h.Inventory.Truth.Values.Should().OnlyContain(i => i.State == ItemState.Purged, "the crash came after the writes");
        (await _h.Jobs.FindAsync(ErasureHarness.Tenant, "job-1", Ct))!.Counts.Purged.Should().Be(0, "the page was not recorded");

        // Step Functions retries the step with the same input.
        await _h.PurgeAllAsync(state);

        var job = (await _h.Jobs.FindAsync(ErasureHarness.Tenant, "job-1", Ct))!;
        job.Counts.Purged.Should().Be(3);
        job.Counts.Failed.Should().Be(0);
        _h.Purger.Purged.Should().OnlyHaveUniqueItems().And.HaveCount(3);
    }
}
