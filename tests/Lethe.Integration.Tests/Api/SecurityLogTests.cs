using System.Net;
using System.Text.Json;
using Lethe.Aws.Logs;
using Lethe.Catalog;
using Lethe.Domain.Security;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Api;

/// <summary>
/// The 12-month security log (DESIGN.md, Policy figures; issue 14): denied and refused requests reach their own log group in the
/// local cloud's CloudWatch Logs, with the route's template and the caller's audit name, never a subject's id or the raw path.
/// </summary>
public sealed class SecurityLogTests(LetheApiFactory api, LocalCloudFixture cloud) : IClassFixture<LetheApiFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Denied_requests_go_to_the_security_log_without_the_subjects_id()
    {
        var tenant = $"sec-{Guid.NewGuid():N}"[..20];
        var subject = $"secret-person-{Guid.NewGuid():N}";
        var started = DateTimeOffset.UtcNow.AddSeconds(-1).ToUnixTimeMilliseconds();
        using var auditor = api.ClientWithToken(tenant, Roles.Auditor, "auditor-9");
        using var anonymous = api.CreateClient();

        (await auditor.PutAsync($"/v1/tenants/{tenant}/settings/archive", new StringContent("{\"categories\":{}}", System.Text.Encoding.UTF8, "application/json"), Ct))
            .StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await anonymous.GetAsync($"/v1/tenants/{tenant}/subjects/{subject}/records", Ct)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);

        var events = await EventsOfAsync(tenant, subject, started, atLeast: 2);

        events.Should().Contain(e => e.GetProperty("status").GetInt32() == 403 && e.GetProperty("reason").GetString() == "forbidden"
            && e.GetProperty("route").GetString() == "/v1/tenants/{tenantId}/settings/archive" && e.GetProperty("actor").GetString() == "auditor-9"
            && e.GetProperty("role").GetString() == "auditor" && e.GetProperty("method").GetString() == "PUT");
        events.Should().Contain(e => e.GetProperty("status").GetInt32() == 401 && e.GetProperty("reason").GetString() == "unauthenticated"
            && e.GetProperty("route").GetString()!.StartsWith("/v1/tenants/{tenantId}/subjects/{subjectId}/records", StringComparison.Ordinal));
    }

    /// <summary>The security log's events of the tenant since <paramref name="since"/>, waiting for the writer's next batch.</summary>
    private async Task<List<JsonElement>> EventsOfAsync(string tenant, string subject, long since, int atLeast)
    {
        using var http = new HttpClient();
        var logs = new CloudWatchLogsClient(http, cloud.Cloud.Endpoint, cloud.Cloud.Region, _ => ValueTask.FromResult(cloud.Cloud.Credentials));
        var group = Environment.GetEnvironmentVariable(ResourceCatalog.SecurityLog.NameVariable)
            ?? throw new InvalidOperationException("The local cloud named no security log group.");
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(20));
        while (true)
        {
            var raw = await logs.FilterAllAsync(group, since, deadline.Token);
            raw.Should().OnlyContain(e => !e.Message.Contains(subject, StringComparison.Ordinal), "a subject's id never reaches the security log");
            var mine = raw.Select(e => JsonDocument.Parse(e.Message).RootElement.Clone())
                .Where(e => e.TryGetProperty("tenantId", out var t) && t.GetString() == tenant).ToList();
            if (mine.Count >= atLeast)
            {
                return mine;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), deadline.Token);
        }
    }
}
