using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lethe.Domain.Security;
using Lethe.Tests.Integration.Api;
using Lethe.Tests.Integration.Erasure;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Requests;

/// <summary>
/// POST …/requests/bulk (issue 18, item 7): one job per subject, each submitted as a single request would be and idempotent on
/// the bulk's key and its subject; subjects that cannot start are listed with their problem type while the rest start.
/// </summary>
public sealed class BulkRequestTests(LetheApiFactory api, LocalCloudFixture cloud) : IClassFixture<LetheApiFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<HttpResponseMessage> BulkAsync(HttpClient client, string tenant, object body, string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/tenants/{tenant}/requests/bulk") { Content = JsonContent.Create(body) };
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }

        return await client.SendAsync(request, Ct);
    }

    private static Dictionary<string, JsonElement> BySubject(JsonElement answer) =>
        answer.GetProperty("jobs").EnumerateArray().ToDictionary(j => j.GetProperty("subjectId").GetString()!, j => j.Clone());

    [Fact]
    public async Task A_bulk_erasure_starts_one_job_per_subject_lists_those_that_cannot_start_and_a_retry_starts_nothing_twice()
    {
        // Real time: cai's erasure must stay open through both bulk calls (at the fast scale it could close in between).
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "bulk", timeScale: 1);
        foreach (var subject in new[] { "ann", "ben", "cai", "held" })
        {
            await scenario.SeedAsync(subject, fileVersions: 1);
        }

        (await scenario.Admin.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/legal-holds", new { subjectId = "held", reason = "litigation" }, Ct)).EnsureSuccessStatusCode();
        var open = (await (await scenario.SubmitErasureAsync("cai")).ReadJsonAsync()).GetProperty("id").GetString();
        var body = new { type = "deletion", subjectIds = new[] { "ann", "ben", "cai", "held", "bad id!", "ann" }, reason = "account closure batch 2026-12" };

        var first = await BulkAsync(scenario.Admin, scenario.Tenant, body, "batch-2026-12");
        var again = await BulkAsync(scenario.Admin, scenario.Tenant, body, "batch-2026-12");

        first.StatusCode.Should().Be(HttpStatusCode.Accepted, await first.Content.ReadAsStringAsync(Ct));
        var jobs = BySubject(await first.ReadJsonAsync());
        jobs.Keys.Should().BeEquivalentTo(["ann", "ben", "cai", "held", "bad id!"], "each subject once, in the answer as asked");
        jobs["ann"].GetProperty("error").ValueKind.Should().Be(JsonValueKind.Null);
        jobs["cai"].GetProperty("error").GetString().Should().EndWith("/erasure-in-progress");
        jobs["cai"].GetProperty("openRequestId").GetString().Should().Be(open, "the entry names the erasure that refused it");
        jobs["held"].GetProperty("error").GetString().Should().EndWith("/legal-hold");
        jobs["bad id!"].GetProperty("error").GetString().Should().EndWith("/validation");
        jobs["held"].GetProperty("id").ValueKind.Should().Be(JsonValueKind.Null);
        foreach (var subject in new[] { "ann", "ben" })
        {
            var job = await scenario.JobAsync(jobs[subject].GetProperty("id").GetString()!);
            job.GetProperty("type").GetString().Should().Be("deletion");
            job.GetProperty("subjectId").GetString().Should().Be(subject);
        }

        var repeated = BySubject(await again.ReadJsonAsync());
        repeated["ann"].GetProperty("id").GetString().Should().Be(jobs["ann"].GetProperty("id").GetString(), "the same bulk names the same jobs");
        repeated["ben"].GetProperty("id").GetString().Should().Be(jobs["ben"].GetProperty("id").GetString());
        var listed = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests?type=deletion&limit=100", Ct)).ReadJsonAsync();
        listed.GetProperty("items").EnumerateArray().Select(j => j.GetProperty("id").GetString()).Should()
            .BeEquivalentTo([jobs["ann"].GetProperty("id").GetString(), jobs["ben"].GetProperty("id").GetString(), open], "nothing started twice, nothing for the held subject");
    }

    [Fact]
    public async Task A_bulk_without_a_key_too_large_or_from_a_subject_token_is_refused_and_starts_nothing()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "bulkno");
        await scenario.SeedAsync("dan", fileVersions: 1);
        using var subject = api.ClientWithToken(scenario.Tenant, Roles.Subject, "dan");
        var tooMany = Enumerable.Range(0, 1001).Select(i => $"person-{i}").ToArray();

        var noKey = await BulkAsync(scenario.Admin, scenario.Tenant, new { type = "deletion", subjectIds = new[] { "dan" } }, null);
        var oversized = await BulkAsync(scenario.Admin, scenario.Tenant, new { type = "deletion", subjectIds = tooMany }, "k1");
        var empty = await BulkAsync(scenario.Admin, scenario.Tenant, new { type = "deletion", subjectIds = Array.Empty<string>() }, "k2");
        var badType = await BulkAsync(scenario.Admin, scenario.Tenant, new { type = "purge", subjectIds = new[] { "dan" } }, "k3");
        var bySubject = await BulkAsync(subject, scenario.Tenant, new { type = "deletion", subjectIds = new[] { "dan" } }, "k4");

        noKey.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        oversized.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        empty.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        badType.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        bySubject.StatusCode.Should().Be(HttpStatusCode.Forbidden, "a subject acts for itself only");
        var listed = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests", Ct)).ReadJsonAsync();
        listed.GetProperty("items").GetArrayLength().Should().Be(0);
    }

    [Fact]
    public async Task A_bulk_export_starts_an_export_per_subject()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "bulkexp");
        await scenario.SeedAsync("eve", fileVersions: 1);
        await scenario.SeedAsync("fay", fileVersions: 1);

        var answer = await BulkAsync(scenario.Admin, scenario.Tenant, new { type = "export", subjectIds = new[] { "eve", "fay" }, format = "json" }, "exports-1");

        answer.StatusCode.Should().Be(HttpStatusCode.Accepted, await answer.Content.ReadAsStringAsync(Ct));
        foreach (var job in BySubject(await answer.ReadJsonAsync()).Values)
        {
            var (done, _) = await scenario.WaitForJobAsync(job.GetProperty("id").GetString()!, ErasureScenario.IsClosed);
            done.GetProperty("status").GetString().Should().Be("completed", done.ToString());
            done.GetProperty("type").GetString().Should().Be("export");
        }
    }
}
