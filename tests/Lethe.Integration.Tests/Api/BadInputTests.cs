using System.Net;
using System.Net.Http.Json;
using System.Text;
using Amazon.DynamoDBv2.Model;
using Lethe.Catalog;
using Lethe.Aws.Configuration;
using Lethe.Domain.Security;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Api;

/// <summary>
/// Issue 11, findings 9 and 10: bad input that used to get through. Each case is a 400 (or 413) problem+json that names the
/// field, echoes at most a short prefix of the input, and stores and audits nothing.
/// </summary>
public sealed class BadInputTests(LetheApiFactory api, LocalCloudFixture cloud) : IClassFixture<LetheApiFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string NewTenant() => $"bi-{Guid.NewGuid():N}"[..20];

    private static async Task<System.Text.Json.JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        response.StatusCode.Should().Be(status, await response.Content.ReadAsStringAsync(Ct));
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        return await response.ReadJsonAsync();
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private Task<List<string>> JournalActionsAsync(string tenant) => cloud.JournalActionsAsync(tenant, Ct);

    private async Task<List<string>> KeyItemsAsync(string tenant)
    {
        using var dynamo = cloud.Cloud.CreateDynamoDbClient();
        var response = await dynamo.QueryAsync(new QueryRequest
        {
            TableName = ResourceNames.FromEnvironment().Table(ResourceCatalog.Keys),
            KeyConditionExpression = "pk = :p",
            ExpressionAttributeValues = new() { [":p"] = new() { S = $"TENANT#{tenant}" } },
            ConsistentRead = true,
        }, Ct);
        return response.Items.Select(i => i["sk"].S).ToList();
    }

    [Fact]
    public async Task A_body_over_1_MiB_is_a_413_and_stores_nothing()
    {
        var tenant = NewTenant();
        using var service = api.ClientWithToken(tenant, Roles.Service);

        var response = await service.PostAsync($"/v1/tenants/{tenant}/subjects/anna/records",
            Json($$$"""{"category":"note","fields":{"text":"{{{new string('x', 1024 * 1024 + 10)}}}"}}"""), Ct);

        (await ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge)).GetProperty("type").GetString().Should().EndWith("/payload-too-large");
        (await KeyItemsAsync(tenant)).Should().NotContain(k => k.StartsWith("KEK#", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_record_too_large_for_its_limits_is_refused_before_any_key_is_created()
    {
        var tenant = NewTenant();
        using var service = api.ClientWithToken(tenant, Roles.Service);

        var response = await service.PostAsJsonAsync($"/v1/tenants/{tenant}/subjects/anna/records",
            new { category = "journal", fields = new Dictionary<string, string> { ["text"] = new string('x', 64 * 1024 + 1) } }, Ct);

        (await ProblemAsync(response, HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("fields.text", out _).Should().BeTrue();
        (await KeyItemsAsync(tenant)).Should().NotContain(k => k.StartsWith("KEK#", StringComparison.Ordinal) || k.StartsWith("SUBJECT#", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_huge_bad_field_name_is_echoed_as_a_short_prefix_only()
    {
        var tenant = NewTenant();
        using var service = api.ClientWithToken(tenant, Roles.Service);
        var name = "9" + new string('n', 900_000);

        var response = await service.PostAsync($"/v1/tenants/{tenant}/subjects/anna/records", Json($$$"""{"category":"note","fields":{"{{{name}}}":"v"}}"""), Ct);

        var body = await response.Content.ReadAsStringAsync(Ct);
        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        body.Length.Should().BeLessThan(4096, "a bad name comes back as a short prefix, not three times whole");
        problem.GetProperty("errors").EnumerateObject().Single().Name.Length.Should().BeLessThanOrEqualTo(65);
    }

    [Fact]
    public async Task JSON_nested_deeper_than_64_levels_is_a_400()
    {
        var tenant = NewTenant();
        using var admin = api.ClientWithToken(tenant, Roles.TenantAdmin);
        var deep = string.Concat(Enumerable.Repeat("{\"a\":", 70)) + "1" + new string('}', 70);

        var response = await admin.PutAsync($"/v1/tenants/{tenant}/settings/retention", Json($$$"""{"default":"P2Y","categories":{{{deep}}}}"""), Ct);

        (await ProblemAsync(response, HttpStatusCode.BadRequest)).GetProperty("type").GetString().Should().EndWith("/malformed-request");
    }

    [Fact]
    public async Task A_duplicate_JSON_key_is_a_400_naming_it_and_stores_nothing()
    {
        var tenant = NewTenant();
        using var service = api.ClientWithToken(tenant, Roles.Service);

        var response = await service.PostAsync($"/v1/tenants/{tenant}/requests", Json("""{"type":"export","subjectId":"anna","subjectId":"bob"}"""), Ct);
        var listed = await (await service.GetAsync($"/v1/tenants/{tenant}/requests", Ct)).ReadJsonAsync();

        (await ProblemAsync(response, HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("subjectId", out _).Should().BeTrue();
        listed.GetProperty("items").GetArrayLength().Should().Be(0);
    }

    [Theory]
    [InlineData(" ")]
    [InlineData("twice")]
    public async Task A_blank_or_repeated_Idempotency_Key_is_a_400_not_a_missing_key(string header)
    {
        var tenant = NewTenant();
        using var service = api.ClientWithToken(tenant, Roles.Service);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/tenants/{tenant}/requests") { Content = JsonContent.Create(new { type = "export", subjectId = "anna" }) };
        if (header == "twice")
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", ["key-1", "key-2"]);
        }
        else
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", header);
        }

        var response = await service.SendAsync(request, Ct);

        (await ProblemAsync(response, HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("Idempotency-Key", out _).Should().BeTrue();
        (await (await service.GetAsync($"/v1/tenants/{tenant}/requests", Ct)).ReadJsonAsync()).GetProperty("items").GetArrayLength().Should().Be(0);
    }

    [Fact]
    public async Task The_same_Idempotency_Key_from_two_callers_makes_two_requests()
    {
        var tenant = NewTenant();
        using var first = api.ClientWithToken(tenant, Roles.Service, "app-one");
        using var second = api.ClientWithToken(tenant, Roles.Service, "app-two");

        HttpRequestMessage Export(string subject)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/tenants/{tenant}/requests") { Content = JsonContent.Create(new { type = "export", subjectId = subject }) };
            request.Headers.Add("Idempotency-Key", "shared-key");
            return request;
        }

        using var a = Export("anna");
        using var b = Export("bob");
        var answers = new[] { await first.SendAsync(a, Ct), await second.SendAsync(b, Ct) };

        answers.Should().OnlyContain(r => r.StatusCode == HttpStatusCode.Accepted, "a key is scoped to its caller");
    }

    [Theory]
    [InlineData("", "body")]
    [InlineData("null", "from")]
    [InlineData("""{"to":"2026-12-01T00:00:00Z"}""", "from")]
    [InlineData("""{"from":"2026-11-01T00:00:00Z"}""", "to")]
    [InlineData("""{"from":"2026-11-01T00:00:00Z\u0000","to":"2026-12-01T00:00:00Z"}""", "from")]
    [InlineData("""{"from":"yesterday","to":"2026-12-01T00:00:00Z"}""", "from")]
    public async Task A_bad_audit_export_is_a_400_naming_the_field_and_starts_no_job(string body, string field)
    {
        var tenant = NewTenant();
        using var auditor = api.ClientWithToken(tenant, Roles.Auditor);

        var response = await auditor.PostAsync($"/v1/tenants/{tenant}/audit/exports", Json(body), Ct);

        var errors = (await ProblemAsync(response, HttpStatusCode.BadRequest)).GetProperty("errors");
        (errors.TryGetProperty(field, out _) || (field == "body" && errors.TryGetProperty("from", out _))).Should().BeTrue(errors.ToString());
        (await JournalActionsAsync(tenant)).Should().NotContain("audit.export");
    }

    [Fact]
    public async Task A_tenant_name_with_control_characters_is_a_400()
    {
        using var platform = api.PlatformAdmin();

        var response = await platform.PutAsync($"/v1/tenants/{NewTenant()}", Json("""{"name":"Acme\u0000\nCorp"}"""), Ct);

        (await ProblemAsync(response, HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("name", out _).Should().BeTrue();
    }

    [Fact]
    public async Task An_empty_retention_body_is_a_400_and_audits_nothing()
    {
        var tenant = NewTenant();
        using var admin = api.ClientWithToken(tenant, Roles.TenantAdmin);

        var response = await admin.PutAsync($"/v1/tenants/{tenant}/settings/retention", Json("{}"), Ct);

        await ProblemAsync(response, HttpStatusCode.BadRequest);
        (await JournalActionsAsync(tenant)).Should().NotContain("settings.retention.update");
    }

    [Fact]
    public async Task A_subject_token_sees_only_the_records_visible_to_the_subject()
    {
        var tenant = NewTenant();
        using var service = api.ClientWithToken(tenant, Roles.Service);
        async Task<string> StoreAsync(string visibility) =>
            (await (await service.PostAsJsonAsync($"/v1/tenants/{tenant}/subjects/anna/records",
                new { category = "note", visibility, fields = new Dictionary<string, string> { ["text"] = visibility } }, Ct)).ReadJsonAsync()).GetProperty("id").GetString()!;
        var shared = await StoreAsync("shared");
        var coachOnly = await StoreAsync("coach_only");
        var staffOnly = await StoreAsync("staff_only");
        using var anna = api.ClientWithToken(tenant, Roles.Subject, "anna");

        var listed = (await (await anna.GetAsync($"/v1/tenants/{tenant}/subjects/anna/records", Ct)).ReadJsonAsync()).GetProperty("items")
            .EnumerateArray().Select(r => r.GetProperty("id").GetString()).ToList();

        listed.Should().Equal(shared);
        (await anna.GetAsync($"/v1/tenants/{tenant}/subjects/anna/records/{coachOnly}", Ct)).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await anna.GetAsync($"/v1/tenants/{tenant}/subjects/anna/records/{staffOnly}", Ct)).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await service.GetAsync($"/v1/tenants/{tenant}/subjects/anna/records/{coachOnly}", Ct)).StatusCode.Should().Be(HttpStatusCode.OK, "the service sees every record");
    }

    [Fact]
    public async Task A_client_that_aborts_never_leaves_a_change_without_its_audit_event()
    {
        var tenant = NewTenant();
        using var admin = api.ClientWithToken(tenant, Roles.TenantAdmin);
        (await admin.GetAsync($"/v1/tenants/{tenant}/legal-holds", Ct)).EnsureSuccessStatusCode();

        for (var i = 0; i < 20; i++)
        {
            using var abort = new CancellationTokenSource(TimeSpan.FromMilliseconds(2 + (i * 3 % 40)));
            try
            {
                await admin.PostAsJsonAsync($"/v1/tenants/{tenant}/legal-holds", new { subjectId = $"s-{i}", reason = "abort test" }, abort.Token);
            }
            catch (OperationCanceledException)
            {
                // The client went away; the server carries on.
            }
        }

        // Give requests the server still runs after their clients left the time to finish.
        var holds = 0;
        var created = 0;
        for (var attempt = 0; attempt < 50; attempt++)
        {
            await Task.Delay(100, Ct);
            holds = (await (await admin.GetAsync($"/v1/tenants/{tenant}/legal-holds", Ct)).ReadJsonAsync()).GetProperty("items").GetArrayLength();
            created = (await JournalActionsAsync(tenant)).Count(a => a == "legal-hold.create");
            if (holds == created && attempt > 5)
            {
                break;
            }
        }

        created.Should().Be(holds, "every hold that was stored has its audit event");
    }
}
