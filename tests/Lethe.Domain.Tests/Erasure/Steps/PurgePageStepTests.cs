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
    public async Task A_record_of_a_masked_category_is_purged_with_a_copy_free_of_PII_and_of_its_subject_and_counted_apart()
    {
        _h.Tenants.Items[ErasureHarness.Tenant] = new Lethe.Domain.Tenancy.Tenant(ErasureHarness.Tenant, "Local", Lethe.Domain.Tenancy.TenantState.Active, _h.Clock.GetUtcNow(), 1);
        _h.Inventory.Add(ErasureHarness.Item("inv-1", "record", "invoice", "dynamodb"));
        _h.Masking.SubjectId = "anna.berg";
        _h.Masking.Fields["inv-1"] = new Dictionary<string, string>
        {
            ["customerName"] = "Anna Berg", ["amount"] = "120.00 EUR", ["note"] = "Paid by anna.berg with card 4111 1111 1111 1111, receipt to anna@example.com",
        };
        var state = await _h.ThroughTheWindowAsync(pageSize: 2, maskedCategories: ["invoice"]);

        await _h.PurgeAllAsync(state);

        var copy = _h.Inventory.MaskedCopies["inv-1"];
        copy.Id.Should().NotBe("inv-1").And.StartWith("rec_");
        (copy.SubjectRef, copy.Encrypted, copy.Category, copy.State).Should().Be((string.Empty, false, "invoice", ItemState.Active));
        copy.PlainFields.Should().BeEquivalentTo(new Dictionary<string, string>
        {
            ["customerName"] = "[erased]", ["amount"] = "120.00 EUR", ["note"] = "Paid by [erased] with card [erased], receipt to [erased]",
        });
        copy.Pii.Should().BeEmpty();
        _h.Inventory.Truth["inv-1"].State.Should().Be(ItemState.Purged, "the original goes");
        var counts = (await _h.Jobs.FindAsync(ErasureHarness.Tenant, "job-1", Ct))!.Counts;
        (counts.Purged, counts.Masked).Should().Be((3, 1));
        counts.PurgedByCategory.Should().NotContainKey("invoice", "a masked record is not counted as purged");
    }

    [Fact]
    public async Task A_masked_category_s_record_stored_encrypted_is_purged_not_kept_in_the_clear()
    {
        _h.Tenants.Items[ErasureHarness.Tenant] = new Lethe.Domain.Tenancy.Tenant(ErasureHarness.Tenant, "Local", Lethe.Domain.Tenancy.TenantState.Active, _h.Clock.GetUtcNow(), 1);
        _h.Inventory.Add(ErasureHarness.Item("inv-1", "record", "invoice", "dynamodb"));
        _h.Masking.Fields["inv-1"] = new Dictionary<string, string> { ["amount"] = "120.00 EUR" };
        _h.Masking.Sensitive.Add("inv-1");
        var state = await _h.ThroughTheWindowAsync(maskedCategories: ["invoice"]);

        await _h.PurgeAllAsync(state);

        _h.Inventory.MaskedCopies.Should().BeEmpty();
        var counts = (await _h.Jobs.FindAsync(ErasureHarness.Tenant, "job-1", Ct))!.Counts;
        (counts.Purged, counts.Masked).Should().Be((4, 0));
    }

    [Fact]
    public async Task A_record_that_cannot_be_opened_to_mask_it_stays_hidden_and_is_listed_once_while_the_rest_is_purged()
    {
        _h.Tenants.Items[ErasureHarness.Tenant] = new Lethe.Domain.Tenancy.Tenant(ErasureHarness.Tenant, "Local", Lethe.Domain.Tenancy.TenantState.Active, _h.Clock.GetUtcNow(), 1);
        _h.Inventory.Add(ErasureHarness.Item("inv-1", "record", "invoice", "dynamodb"));
        _h.Masking.Fields["inv-1"] = new Dictionary<string, string> { ["amount"] = "120.00 EUR" };
        _h.Masking.Failing["inv-1"] = "KMS refused the key.";
        var state = await _h.ThroughTheWindowAsync(maskedCategories: ["invoice"]);

        await _h.PurgeAllAsync(state);

        _h.Inventory.Truth["inv-1"].State.Should().Be(ItemState.SoftDeleted, "nothing of it was deleted without its copy");
        var job = (await _h.Jobs.FindAsync(ErasureHarness.Tenant, "job-1", Ct))!;
        job.Errors.Should().ContainSingle().Which.Should().Match<JobError>(e => e.ItemId == "inv-1" && e.Message.Contains("KMS refused", StringComparison.Ordinal));
        (job.Counts.Purged, job.Counts.Masked).Should().Be((3, 0));
    }

    [Fact]
    public async Task Without_masked_categories_an_invoice_is_purged_like_any_record()
    {
        _h.Inventory.Add(ErasureHarness.Item("inv-1", "record", "invoice", "dynamodb"));
        var state = await _h.ThroughTheWindowAsync();

        await _h.PurgeAllAsync(state);

        _h.Inventory.MaskedCopies.Should().BeEmpty();
        (await _h.Jobs.FindAsync(ErasureHarness.Tenant, "job-1", Ct))!.Counts.Purged.Should().Be(4);
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
