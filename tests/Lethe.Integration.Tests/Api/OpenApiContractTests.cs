using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Api;

/// <summary>
/// Issue 11, finding 11: the OpenAPI document is a contract outside tools consume. Redocly's recommended rules find no error,
/// every tenant operation names the bearer scheme and its problems, every path parameter is declared, and the headers a
/// client reads are in it.
/// </summary>
public sealed class OpenApiContractTests(LetheApiFactory api, LocalCloudFixture cloud) : IClassFixture<LetheApiFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<JsonElement> DocumentAsync()
    {
        using var client = api.CreateClient();
        using var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json", Ct));
        return document.RootElement.Clone();
    }

    private static IEnumerable<(string Path, string Method, JsonElement Operation)> Operations(JsonElement document) =>
        document.GetProperty("paths").EnumerateObject().SelectMany(path => path.Value.EnumerateObject()
            .Where(op => op.Name is "get" or "put" or "post" or "delete" or "patch")
            .Select(op => (path.Name, op.Name, op.Value)));

    private static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Serverless.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Serverless.sln not found above the test directory.");
    }

    [Fact]
    public async Task Redocly_lint_with_the_recommended_rules_finds_no_error()
    {
        var document = await DocumentAsync();
        var file = Path.Combine(Path.GetTempPath(), $"lethe-openapi-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, document.GetRawText(), Ct);
        var redocly = Path.Combine(Root(), "tools", "node", "node_modules", ".bin", "redocly");
        File.Exists(redocly).Should().BeTrue("./lethe test installs tools/node (npm ci)");
        var start = new ProcessStartInfo(redocly) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetTempPath() };
        foreach (var arg in new[] { "lint", "--extends", "recommended", "--format", "stylish", file })
        {
            start.ArgumentList.Add(arg);
        }

        // No telemetry and no update check: tests make no network calls beyond this machine.
        start.Environment["REDOCLY_TELEMETRY"] = "off";
        start.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync(Ct) + await process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        File.Delete(file);

        process.ExitCode.Should().Be(0, output);
    }

    [Fact]
    public async Task Every_tenant_operation_requires_the_bearer_scheme_and_documents_its_problems_as_problem_json()
    {
        var document = await DocumentAsync();
        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer");
        (scheme.GetProperty("type").GetString(), scheme.GetProperty("scheme").GetString()).Should().Be(("http", "bearer"));

        foreach (var (path, method, operation) in Operations(document).Where(o => o.Path.StartsWith("/v1/tenants/{tenantId}", StringComparison.Ordinal)))
        {
            operation.GetProperty("security")[0].TryGetProperty("bearer", out _).Should().BeTrue($"{method} {path}");
            var responses = operation.GetProperty("responses");
            foreach (var status in new[] { "400", "401", "403", "410", "423", "429" })
            {
                responses.GetProperty(status).GetProperty("content").TryGetProperty("application/problem+json", out _).Should().BeTrue($"{method} {path} {status}");
            }

            // PUT /v1/tenants/{t} creates a missing tenant; every other tenant route answers 404 for an unknown one.
            responses.TryGetProperty("404", out _).Should().Be(operation.GetProperty("operationId").GetString() != "PutTenant", $"{method} {path}");

            responses.GetProperty("429").GetProperty("headers").TryGetProperty("Retry-After", out _).Should().BeTrue();
            if (operation.TryGetProperty("requestBody", out _))
            {
                responses.TryGetProperty("413", out _).Should().BeTrue($"{method} {path} reads a body");
            }
        }

        foreach (var (path, method, operation) in Operations(document).Where(o => o.Path is "/health" || o.Path.StartsWith("/v1/certificates", StringComparison.Ordinal)))
        {
            operation.GetProperty("security").EnumerateArray().Should().ContainSingle().Which.EnumerateObject().Should().BeEmpty($"{method} {path} needs no token");
        }
    }

    [Fact]
    public async Task Every_path_parameter_is_declared_and_no_path_or_server_ends_in_a_slash()
    {
        var document = await DocumentAsync();

        foreach (var (path, method, operation) in Operations(document))
        {
            var declared = operation.TryGetProperty("parameters", out var parameters)
                ? parameters.EnumerateArray().Where(p => p.GetProperty("in").GetString() == "path").Select(p => p.GetProperty("name").GetString()).ToList()
                : [];
            var named = path.Split('/').Where(s => s.StartsWith('{')).Select(s => s.Trim('{', '}')).ToList();
            declared.Should().BeEquivalentTo(named, $"{method} {path}");
            path.Should().NotEndWith("/");
        }

        document.GetProperty("servers").EnumerateArray().Should().OnlyContain(s => !s.GetProperty("url").GetString()!.EndsWith('/'));
    }

    [Theory]
    [InlineData("/v1/tenants/{tenantId}/subjects/{subjectId}/records", "post")]
    [InlineData("/v1/tenants/{tenantId}/subjects/{subjectId}/consents/{purpose}", "put")]
    [InlineData("/v1/tenants/{tenantId}", "put")]
    [InlineData("/v1/tenants/{tenantId}/requests", "post")]
    public async Task Operations_that_answer_409_declare_it(string path, string method)
    {
        var operation = (await DocumentAsync()).GetProperty("paths").GetProperty(path).GetProperty(method);

        operation.GetProperty("responses").GetProperty("409").GetProperty("content").TryGetProperty("application/problem+json", out _).Should().BeTrue();
    }

    [Fact]
    public async Task The_certificate_is_documented_as_JSON_with_its_schema_and_as_a_PDF_chosen_by_format()
    {
        var get = (await DocumentAsync()).GetProperty("paths").GetProperty("/v1/tenants/{tenantId}/requests/{requestId}/certificate").GetProperty("get");

        var content = get.GetProperty("responses").GetProperty("200").GetProperty("content");
        content.GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString().Should().EndWith("/CertificateResponse");
        content.GetProperty("application/pdf").GetProperty("schema").GetProperty("format").GetString().Should().Be("binary");
        get.GetProperty("parameters").EnumerateArray().Should().Contain(p => p.GetProperty("name").GetString() == "format" && p.GetProperty("in").GetString() == "query");
    }

    [Theory]
    [InlineData("/v1/tenants/{tenantId}/requests", "status", "awaiting-approval,queued,running,completed,failed,cancelled,denied")]
    [InlineData("/v1/tenants/{tenantId}/requests", "type", "deletion,export,audit-export,retention-sweep,archive-retrieval,backup-scrub,erasure-replay,key-rotation,tenant-offboarding,ingest")]
    [InlineData("/v1/tenants/{tenantId}/requests", "overdue", "true,false")]
    [InlineData("/v1/tenants/{tenantId}/requests/{requestId}/certificate", "format", "json,pdf")]
    [InlineData("/v1/tenants/{tenantId}/requests/{requestId}/download", "redirect", "true,false")]
    [InlineData("/v1/tenants/{tenantId}/audit", "format", "json,csv")]
    [InlineData("/v1/tenants/{tenantId}/items", "state", "active,soft_deleted,purging,archived,purged")]
    [InlineData("/v1/tenants/{tenantId}/reviews", "status", "pending,approved,rejected")]
    public async Task A_query_parameter_that_takes_a_few_values_lists_them_for_generated_clients(string path, string name, string values)
    {
        var get = (await DocumentAsync()).GetProperty("paths").GetProperty(path).GetProperty("get");

        var parameter = get.GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == name && p.GetProperty("in").GetString() == "query");

        parameter.GetProperty("schema").GetProperty("enum").EnumerateArray().Select(v => v.GetString()).Should().BeEquivalentTo(values.Split(','));
    }

    [Fact]
    public async Task Every_value_a_query_enum_lists_is_accepted_by_its_route_and_a_value_outside_it_is_a_400()
    {
        var scenario = await Lethe.Tests.Integration.Erasure.ErasureScenario.CreateAsync(api, cloud, "oae");
        var document = await DocumentAsync();
        var checkedValues = 0;

        foreach (var (path, method, operation) in Operations(document).Where(o => o.Method == "get" && o.Operation.TryGetProperty("parameters", out _)))
        {
            var url = path.Replace("{tenantId}", scenario.Tenant, StringComparison.Ordinal).Replace("{requestId}", "req_none", StringComparison.Ordinal);
            foreach (var parameter in operation.GetProperty("parameters").EnumerateArray().Where(p => p.GetProperty("in").GetString() == "query" && p.GetProperty("schema").TryGetProperty("enum", out _)))
            {
                var name = parameter.GetProperty("name").GetString();
                foreach (var value in parameter.GetProperty("schema").GetProperty("enum").EnumerateArray().Select(v => v.GetString()))
                {
                    using var accepted = await scenario.Admin.GetAsync(new Uri($"{url}?{name}={value}", UriKind.Relative), Ct);
                    accepted.StatusCode.Should().NotBe(HttpStatusCode.BadRequest, $"{path}?{name}={value} is listed in the document");
                    checkedValues++;
                }

                using var refused = await scenario.Admin.GetAsync(new Uri($"{url}?{name}=not-a-value", UriKind.Relative), Ct);
                refused.StatusCode.Should().Be(HttpStatusCode.BadRequest, $"{path}?{name}=not-a-value is outside the document's enum");
            }
        }

        checkedValues.Should().BeGreaterThanOrEqualTo(33, "every enum of the document was tried");
    }

    [Fact]
    public async Task An_export_part_is_documented_as_a_volume_number()
    {
        var get = (await DocumentAsync()).GetProperty("paths").GetProperty("/v1/tenants/{tenantId}/requests/{requestId}/download").GetProperty("get");

        var schema = get.GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "part").GetProperty("schema");

        schema.GetProperty("type").GetString().Should().Be("integer");
        schema.GetProperty("minimum").GetInt32().Should().Be(1);
    }

    [Fact]
    public async Task The_headers_a_client_reads_are_documented()
    {
        var paths = (await DocumentAsync()).GetProperty("paths");

        var submit = paths.GetProperty("/v1/tenants/{tenantId}/requests").GetProperty("post").GetProperty("responses").GetProperty("202");
        submit.GetProperty("headers").TryGetProperty("Location", out _).Should().BeTrue();
        var audit = paths.GetProperty("/v1/tenants/{tenantId}/audit").GetProperty("get").GetProperty("responses").GetProperty("200");
        audit.GetProperty("content").EnumerateObject().Select(c => c.Name).Should().BeEquivalentTo(["application/json", "text/csv"]);
        audit.GetProperty("headers").TryGetProperty("X-Next-Cursor", out _).Should().BeTrue();
        var download = paths.GetProperty("/v1/tenants/{tenantId}/requests/{requestId}/download").GetProperty("get").GetProperty("responses").GetProperty("302");
        download.GetProperty("headers").TryGetProperty("Location", out _).Should().BeTrue();
        paths.GetProperty("/health").GetProperty("get").GetProperty("responses").GetProperty("200").GetProperty("headers").TryGetProperty("X-Correlation-Id", out _).Should().BeTrue();
    }
}
