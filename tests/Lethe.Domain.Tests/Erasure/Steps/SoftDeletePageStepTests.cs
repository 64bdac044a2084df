using Lethe.Domain.Erasure;
using Lethe.Domain.Jobs;
using Lethe.Domain.Records;

namespace Lethe.Domain.Tests.Erasure.Steps;

/// <summary>SoftDeletePage (workflows/deletion.asl.json → SoftDeletePageStep).</summary>
public sealed class SoftDeletePageStepTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly ErasureHarness _h = new();

    [Fact]
    public async Task Soft_delete_page_when_the_page_is_not_the_last_should_hide_its_items_and_ask_for_the_next_page()
    {
        var job = await _h.SubmitAsync();
        var state = await _h.Steps.Validate.RunAsync(new ErasureState(ErasureHarness.Tenant, job.Id, 1) { PageSize = 2 }, Ct);

        var next = await _h.Steps.SoftDeletePage.RunAsync(state, Ct);

        _h.Inventory.Truth.Values.Count(i => i.State == ItemState.SoftDeleted && i.ErasureJobId == job.Id).Should().Be(2);
        next.More.Should().BeTrue();
        next.Page.Should().Be(1);
        next.Cursor.Should().NotBeNull();
        (await _h.Jobs.FindAsync(ErasureHarness.Tenant, job.Id, Ct))!.Phase.Should().Be(JobPhases.SoftDelete);
    }

    [Fact]
    public async Task Soft_delete_page_when_the_last_page_is_replayed_should_count_each_item_once_and_leave_the_job_in_its_window()
    {
        var job = await _h.SubmitAsync();
        var state = await _h.Steps.Validate.RunAsync(new ErasureState(ErasureHarness.Tenant, job.Id, 1), Ct);

        var done = await _h.Steps.SoftDeletePage.RunAsync(state, Ct);
        await _h.Steps.SoftDeletePage.RunAsync(state, Ct);

        done.More.Should().BeFalse();
        var stored = (await _h.Jobs.FindAsync(ErasureHarness.Tenant, job.Id, Ct))!;
        stored.Phase.Should().Be(JobPhases.RecoveryWindow);
        stored.Counts.SoftDeleted.Should().Be(3);
        stored.Counts.Total.Should().Be(3, "the soft-delete adds what it read to the total; nothing else counts the inventory");
        _h.Evidence.Events.Values.Count(e => e.Action == "erasure.soft-delete").Should().Be(1);
    }

    [Fact]
    public async Task Soft_delete_page_should_write_the_manifest_of_what_this_erasure_now_holds_hidden()
    {
        var job = await _h.SubmitAsync();
        var requests = new Lethe.Domain.Requests.RequestService(_h.Jobs, _h.Workflows, _h.Holds, _h.Inventory, _h.Clock, _h.Notices);
        var state = await _h.Steps.Validate.RunAsync(new ErasureState(ErasureHarness.Tenant, job.Id, 1), Ct);
        await _h.Steps.SoftDeletePage.RunAsync(state, Ct);
        await requests.RestoreItemAsync(ErasureHarness.Tenant, "rec-2", Ct);

        await _h.Steps.SoftDeletePage.RunAsync(state, Ct);

        _h.Manifests.Pages[(job.Id, 1)].Select(i => i.ItemId).Should().BeEquivalentTo("file-1", "rec-1");
    }

    [Fact]
    public async Task Soft_delete_page_when_pages_per_execution_are_used_up_should_ask_for_a_hand_over()
    {
        var job = await _h.SubmitAsync();
        var state = await _h.Steps.Validate.RunAsync(new ErasureState(ErasureHarness.Tenant, job.Id, 1) { PageSize = 1, PagesPerExecution = 2 }, Ct);

        var first = await _h.Steps.SoftDeletePage.RunAsync(state, Ct);
        var second = await _h.Steps.SoftDeletePage.RunAsync(first, Ct);

        first.HandOver.Should().BeFalse();
        second.HandOver.Should().BeTrue();
        second.More.Should().BeTrue();
    }
}
