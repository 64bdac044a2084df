using System.Net;
using System.Net.Http.Json;
using Lethe.Domain.Security;

namespace Lethe.Tests.Integration.Api;

/// <summary>
/// API.md, Auth: every subject-bound permission is checked against the subject of the object itself, whatever other roles the
/// token holds. A token of data subject "alice" that also holds auditor or service reaches bob's objects only where that other
/// role grants the action on its own; the download of an export is held in ExportTests.
/// </summary>
public sealed class SubjectBoundAccessTests(LetheApiFactory api) : IClassFixture<LetheApiFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string, string, HttpStatusCode> Cases() => new()
    {
        // The auditor role grants none of these: alice's subject role alone decides, and bob is not alice.
        { Roles.Auditor, "GET", "subjects/bob/records", HttpStatusCode.Forbidden },
        { Roles.Auditor, "GET", "subjects/bob/records/{record}", HttpStatusCode.Forbidden },
        { Roles.Auditor, "GET", "subjects/bob/consents", HttpStatusCode.Forbidden },
        { Roles.Auditor, "PUT", "subjects/bob/consents/ai-processing", HttpStatusCode.Forbidden },
        { Roles.Auditor, "POST", "requests", HttpStatusCode.Forbidden },
        // The service role reads records and consents of every subject, submits requests, but never manages consents.
        { Roles.Service, "GET", "subjects/bob/records", HttpStatusCode.OK },
        { Roles.Service, "GET", "subjects/bob/records/{record}", HttpStatusCode.OK },
        { Roles.Service, "GET", "subjects/bob/consents", HttpStatusCode.OK },
        { Roles.Service, "PUT", "subjects/bob/consents/ai-processing", HttpStatusCode.Forbidden },
        // Alice's own objects stay hers with either second role.
        { Roles.Auditor, "GET", "subjects/alice/records", HttpStatusCode.OK },
        { Roles.Auditor, "PUT", "subjects/alice/consents/ai-processing", HttpStatusCode.OK },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_subject_token_with_a_second_role_reaches_another_subjects_objects_only_through_that_role(
        string secondRole, string method, string path, HttpStatusCode expected)
    {
        var tenant = $"sb-{Guid.NewGuid():N}"[..20];
        using var service = api.ClientWithToken(tenant, Roles.Service, "coaching-app");
        var created = await service.PostAsJsonAsync($"/v1/tenants/{tenant}/subjects/bob/records",
            new { category = "note", visibility = "shared", fields = new Dictionary<string, string> { ["text"] = "bob's note" } }, Ct);
        created.StatusCode.Should().Be(HttpStatusCode.Created, await created.Content.ReadAsStringAsync(Ct));
        var recordId = (await created.Content.ReadFromJsonAsync<Dictionary<string, object>>(Ct))!["id"].ToString()!;
        using var alice = api.ClientWithRoles(tenant, [Roles.Subject, secondRole], "alice");
        using var request = new HttpRequestMessage(new HttpMethod(method), $"/v1/tenants/{tenant}/{path.Replace("{record}", recordId, StringComparison.Ordinal)}");
        request.Content = method switch
        {
            "PUT" => JsonContent.Create(new { granted = true }),
            "POST" => JsonContent.Create(new { type = "export", subjectId = "bob" }),
            _ => null,
        };

        var response = await alice.SendAsync(request, Ct);

        response.StatusCode.Should().Be(expected, await response.Content.ReadAsStringAsync(Ct));
    }
}
