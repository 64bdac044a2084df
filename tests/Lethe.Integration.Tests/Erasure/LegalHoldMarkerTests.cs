using System.Net;
using System.Net.Http.Json;
using Lethe.Catalog;
using Lethe.Aws.Configuration;
using Lethe.Aws.Erasure;
using Lethe.Domain.Erasure;
using Lethe.Domain.Records;
using Lethe.Tests.Integration.Api;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Erasure;

/// <summary>
/// A purge step checks for holds before it starts, but a hold can be placed a moment later: the move to purging therefore
/// checks the subject's hold marker (kept by the hold API in the hold's own transaction) inside its own transaction. These
/// tests place holds through the API and drive the real inventory adapter with a clock past the items' purgeAt.
/// </summary>
public sealed class LegalHoldMarkerTests : IClassFixture<LetheApiFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A 20-second window: the cancel must land before the purge starts, even on a loaded CI machine (the tests pass a time after the window to the inventory themselves).</summary>
    private static readonly int CancelInWindowScale = 29 * 86_400 / 20;

    private readonly LetheApiFactory _api;
    private readonly LocalCloudFixture _cloud;

    public LegalHoldMarkerTests(LetheApiFactory api, LocalCloudFixture cloud)
    {
        _api = api;
        _cloud = cloud;
    }

    private static DynamoErasureInventory Inventory(Amazon.DynamoDBv2.IAmazonDynamoDB dynamo)
    {
        var names = ResourceNames.FromEnvironment();
        return new DynamoErasureInventory(dynamo, names.Table(ResourceCatalog.Inventory), names.Table(ResourceCatalog.Records), names.Table(ResourceCatalog.Tenants), logical => names.Table(ResourceCatalog.TableNamed(logical)));
    }

    private static async Task<string> PlaceHoldAsync(ErasureScenario scenario, string subject)
    {
        var placed = await scenario.Admin.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/legal-holds", new { subjectId = subject, reason = "litigation" }, Ct);
        placed.StatusCode.Should().Be(HttpStatusCode.Created);
        return (await placed.ReadJsonAsync()).GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task A_move_to_purging_is_refused_while_any_hold_names_the_subject_and_goes_through_after_the_last_release()
    {
        var scenario = await ErasureScenario.CreateAsync(_api, _cloud, "ehm", CancelInWindowScale);
        await scenario.SeedAsync("nora", fileVersions: 1);
        var subjectRef = await scenario.SubjectRefAsync("nora");
        var jobId = await scenario.SubmitAndWaitForWindowAsync("nora");
        // Cancelled in its window: the items stay soft-deleted, due for a purge once purgeAt has passed.
        (await scenario.Admin.PostAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/cancel", null, Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
        var purgeAt = (await scenario.JobAsync(jobId)).GetProperty("purgeAt").GetDateTimeOffset();
        var first = await PlaceHoldAsync(scenario, "nora");
        var second = await PlaceHoldAsync(scenario, "nora");
        using var dynamo = _cloud.Cloud.CreateDynamoDbClient();
        var inventory = Inventory(dynamo);
        var (page, _) = await inventory.PageAsync(scenario.Tenant, subjectRef, null, 100, Ct);
        var due = page.Where(i => i.State == ItemState.SoftDeleted).ToList();
        var afterWindow = purgeAt.AddMinutes(1);
        due.Should().NotBeEmpty();

        var whileHeld = () => inventory.BeginPurgeAsync(scenario.Tenant, subjectRef, due, afterWindow, Ct);
        await whileHeld.Should().ThrowAsync<LegalHoldException>();
        (await scenario.Admin.DeleteAsync($"/v1/tenants/{scenario.Tenant}/legal-holds/{first}", Ct)).StatusCode.Should().Be(HttpStatusCode.NoContent);
        await whileHeld.Should().ThrowAsync<LegalHoldException>("the second hold still names the subject");
        var unchanged = await inventory.CurrentAsync(scenario.Tenant, due.Select(i => i.ItemId).ToList(), Ct);
        (await scenario.Admin.DeleteAsync($"/v1/tenants/{scenario.Tenant}/legal-holds/{second}", Ct)).StatusCode.Should().Be(HttpStatusCode.NoContent);
        var moved = await inventory.BeginPurgeAsync(scenario.Tenant, subjectRef, due, afterWindow, Ct);

        unchanged.Should().OnlyContain(i => i.State == ItemState.SoftDeleted, "nothing of a held subject moved towards its purge");
        moved.Should().BeEquivalentTo(due.Select(i => i.ItemId), "with the last hold released the purge goes ahead");
    }

    [Fact]
    public async Task A_hold_on_another_subject_does_not_stop_this_subjects_purge()
    {
        var scenario = await ErasureScenario.CreateAsync(_api, _cloud, "ehn", CancelInWindowScale);
        await scenario.SeedAsync("olga", fileVersions: 1);
        await scenario.SeedAsync("piet", fileVersions: 1);
        var subjectRef = await scenario.SubjectRefAsync("olga");
        var jobId = await scenario.SubmitAndWaitForWindowAsync("olga");
        (await scenario.Admin.PostAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/cancel", null, Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
        var purgeAt = (await scenario.JobAsync(jobId)).GetProperty("purgeAt").GetDateTimeOffset();
        await PlaceHoldAsync(scenario, "piet");
        using var dynamo = _cloud.Cloud.CreateDynamoDbClient();
        var inventory = Inventory(dynamo);
        var (page, _) = await inventory.PageAsync(scenario.Tenant, subjectRef, null, 100, Ct);
        var due = page.Where(i => i.State == ItemState.SoftDeleted).ToList();

        var moved = await inventory.BeginPurgeAsync(scenario.Tenant, subjectRef, due, purgeAt.AddMinutes(1), Ct);

        moved.Should().BeEquivalentTo(due.Select(i => i.ItemId));
    }
}
