using System.Text.Json.Nodes;
using Lethe.Domain.Ingest;
using Lethe.Domain.Jobs;
using Lethe.Domain.Records;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Lethe.Api;

/// <summary>
/// The OpenAPI document as outside tools consume it (generated clients, Redocly's <c>recommended</c> rules): the bearer JWT
/// scheme on every tenant operation, every path parameter declared, every problem a route can answer (401, 403, 404, 410,
/// 429 on every tenant route; 400 and 413 where a body or query is read) as problem+json, and the response headers a client
/// reads (Location, Retry-After, X-Next-Cursor, X-Correlation-Id, X-Key-Id). Applied once to the whole document, so a new
/// endpoint gets its contract without remembering it.
/// </summary>
public static class OpenApiContract
{
    public const string BearerScheme = "bearer";
    private const string ProblemJson = "application/problem+json";
    private const string TenantRoutes = "/v1/tenants/{tenantId}";

    private static readonly Dictionary<string, string> TagDescriptions = new(StringComparer.Ordinal)
    {
        ["Platform"] = "Health of the API.",
        ["Tenants"] = "Tenants, their key and settings, retention and legal holds.",
        ["Records"] = "A data subject's records, field-encrypted where the category or the caller says so.",
        ["Consents"] = "A data subject's consents and their history.",
        ["Restriction"] = "Restriction of processing of a data subject (GDPR Art. 18) and its history.",
        ["Inventory"] = "Everything stored for the tenant, with where it is and what state it is in.",
        ["Items"] = "One inventory item: restore inside its recovery window.",
        ["Audit"] = "The tenant's hash-chained audit trail: pages, verification, anchors and exports.",
        ["Requests"] = "Erasure and export requests (jobs): submit, follow, cancel, restore, retry, certificates, downloads.",
        ["Certificates"] = "Public keys that verify certificates and anchors offline.",
    };

    /// <summary>
    /// Query parameters that take one of a few values (any other is a 400 naming the field), by operation and name: declared as
    /// enums so a generated client offers the values instead of a free string. Built from the names the handlers parse, and
    /// only those that parse back.
    /// </summary>
    private static readonly Dictionary<(string Operation, string Name), string[]> QueryValues = new()
    {
        [("ListRequests", "status")] = Parsed<JobStatus>(JobStatuses.Name, name => JobStatuses.Parse(name)),
        [("ListRequests", "type")] = Parsed<JobType>(JobTypes.Name, name => JobTypes.Parse(name)),
        [("ListRequests", "overdue")] = ["true", "false"],
        [("GetCertificate", "format")] = ["json", "pdf"],
        [("DownloadExport", "redirect")] = ["true", "false"],
        [("ListAudit", "format")] = ["json", "csv"],
        [("ListItems", "state")] = Parsed<ItemState>(ItemStates.Name, name => ItemStates.Parse(name)),
        [("ListReviews", "status")] = Parsed<ReviewStatus>(Review.Name, name => Review.Parse(name)),
    };

    private static string[] Parsed<TEnum>(Func<TEnum, string> name, Func<string, TEnum?> parse)
        where TEnum : struct, Enum =>
        [.. Enum.GetValues<TEnum>().Where(value => EqualityComparer<TEnum?>.Default.Equals(parse(name(value)), value)).Select(name)];

    public static Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(document);
        document.Info.Title = "Lethe API";
        document.Info.Version = "v1";
        document.Info.Description = "Data lifecycle and privacy compliance: tenants, records, erasure and export requests, certificates, audit.";
        foreach (var server in document.Servers ?? [])
        {
            server.Url = server.Url?.TrimEnd('/');
        }

        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>(StringComparer.Ordinal);
        document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "A JWT with the claims sub, tenant and roles (API.md, Auth).",
        };
        document.Tags = new HashSet<OpenApiTag>(TagDescriptions.Select(t => new OpenApiTag { Name = t.Key, Description = t.Value }));

        foreach (var (path, item) in document.Paths)
        {
            foreach (var (method, operation) in item.Operations ?? [])
            {
                DeclarePathParameters(path, operation);
                DescribeQueryValues(operation);
                if (path.StartsWith(TenantRoutes, StringComparison.Ordinal))
                {
                    GuardedOperation(document, operation, method);
                }
                else
                {
                    // Health and the public keys need no token: an empty requirement says "anonymous" explicitly.
                    operation.Security = [new OpenApiSecurityRequirement()];
                }

                Headers(document, operation);
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>Every <c>{name}</c> of the path is a required string parameter, whether or not the handler binds it.</summary>
    private static void DeclarePathParameters(string path, OpenApiOperation operation)
    {
        operation.Parameters ??= [];
        foreach (var name in path.Split('/').Where(s => s.StartsWith('{') && s.EndsWith('}')).Select(s => s[1..^1].TrimStart('*')))
        {
            if (operation.Parameters.Any(p => p.In == ParameterLocation.Path && p.Name == name))
            {
                continue;
            }

            operation.Parameters.Add(new OpenApiParameter
            {
                Name = name,
                In = ParameterLocation.Path,
                Required = true,
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            });
        }
    }

    private static void DescribeQueryValues(OpenApiOperation operation)
    {
        foreach (var parameter in (operation.Parameters ?? []).OfType<OpenApiParameter>().Where(p => p.In == ParameterLocation.Query))
        {
            if (QueryValues.TryGetValue((operation.OperationId ?? string.Empty, parameter.Name!), out var values))
            {
                parameter.Schema = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [.. values.Select(v => (JsonNode)JsonValue.Create(v))] };
            }
            else if (operation.OperationId == "DownloadExport" && parameter.Name == "part")
            {
                // Bound as a string so a bad one is our 400 with the field named, but only a volume number is accepted.
                parameter.Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Minimum = "1" };
            }
        }
    }

    private static void GuardedOperation(OpenApiDocument document, OpenApiOperation operation, HttpMethod method)
    {
        operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] }];
        operation.Responses ??= [];
        Problem(document, operation, "401", "No or invalid bearer token.");
        Problem(document, operation, "403", "The token's tenant or roles may not do this.");
        if (operation.OperationId != "PutTenant")
        {
            // PUT /v1/tenants/{t} creates a tenant that does not exist yet: it never answers 404.
            Problem(document, operation, "404", "The tenant, or the object named in the path, does not exist in this tenant.");
        }

        Problem(document, operation, "410", "The tenant was terminated.");
        if (method != HttpMethod.Get && method != HttpMethod.Head)
        {
            // Besides the route's own conflicts: a tenant being offboarded refuses every change (type …/tenant-offboarding).
            Problem(document, operation, "409", "A conflict with the request's current state; also when the tenant is being offboarded and accepts no changes.");
        }

        Problem(document, operation, "423", "The tenant's encryption key is disabled or unusable (a revoked BYOK key); nothing was read or written.");
        var limited = Problem(document, operation, "429", "Over the tenant's rate limit; retry after Retry-After seconds.");
        limited.Headers ??= new Dictionary<string, IOpenApiHeader>(StringComparer.Ordinal);
        limited.Headers["Retry-After"] = Header("Seconds to wait before retrying.", JsonSchemaType.Integer);
        var unavailable = Problem(document, operation, "503", "A service behind Lethe (DynamoDB, KMS, S3, Step Functions) is throttling or unavailable; retry after Retry-After seconds.");
        unavailable.Headers ??= new Dictionary<string, IOpenApiHeader>(StringComparer.Ordinal);
        unavailable.Headers["Retry-After"] = Header("Seconds to wait before retrying.", JsonSchemaType.Integer);
        // Every tenant route reads at least its path parameters, which a control character (or NUL) makes a 400.
        Problem(document, operation, "400", "The request is not valid; errors names each field.", "HttpValidationProblemDetails");

        if (operation.RequestBody is not null)
        {
            Problem(document, operation, "413", $"The body is larger than {ApiHost.MaxBodyBytes / 1024 / 1024} MiB.");
        }
    }

    private static OpenApiResponse Problem(OpenApiDocument document, OpenApiOperation operation, string status, string description, string schema = "ProblemDetails")
    {
        if (operation.Responses!.TryGetValue(status, out var existing) && existing is OpenApiResponse declared)
        {
            declared.Content ??= new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal);
            declared.Content.TryAdd(ProblemJson, new OpenApiMediaType { Schema = new OpenApiSchemaReference(schema, document) });
            return declared;
        }

        var response = new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal) { [ProblemJson] = new() { Schema = new OpenApiSchemaReference(schema, document) } },
        };
        operation.Responses[status] = response;
        return response;
    }

    private static void Headers(OpenApiDocument document, OpenApiOperation operation)
    {
        foreach (var (status, declared) in operation.Responses ?? [])
        {
            if (declared is not OpenApiResponse response)
            {
                continue;
            }

            response.Headers ??= new Dictionary<string, IOpenApiHeader>(StringComparer.Ordinal);
            response.Headers[ApiHost.CorrelationHeader] = Header("The request's correlation id (echoed, or assigned); quote it when reporting a problem.", JsonSchemaType.String);
            if (status is "201" or "202" or "302")
            {
                response.Headers["Location"] = Header(status == "302" ? "Where the download is (a presigned URL valid at most 5 minutes)." : "The created or accepted resource.", JsonSchemaType.String);
            }
        }

        if (operation.Responses?.TryGetValue("200", out var ok) != true || ok is not OpenApiResponse success)
        {
            return;
        }

        if (operation.OperationId == "ListAudit")
        {
            success.Description = "The page of chained events, as JSON or (format=csv) as CSV with the next cursor in X-Next-Cursor.";
            success.Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal)
            {
                ["application/json"] = new() { Schema = new OpenApiSchemaReference("AuditPage", document) },
                ["text/csv"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String } },
            };
            success.Headers!["X-Next-Cursor"] = Header("CSV only: the cursor of the next page, absent on the last.", JsonSchemaType.String);
        }
        else if (operation.OperationId == "GetCertificate")
        {
            success.Description = "The signed certificate as JSON, or (format=pdf) as a readable PDF carrying the same payload, signature and key id.";
            success.Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal)
            {
                ["application/json"] = new() { Schema = new OpenApiSchemaReference("CertificateResponse", document) },
                ["application/pdf"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" } },
            };
        }
        else if (operation.OperationId is "GetCertificatePublicKey" or "GetCertificatePublicKeyById")
        {
            success.Headers!["X-Key-Id"] = Header("The id of the signing key this PEM belongs to.", JsonSchemaType.String);
        }
    }

    private static OpenApiHeader Header(string description, JsonSchemaType type) =>
        new() { Description = description, Schema = new OpenApiSchema { Type = type } };
}
