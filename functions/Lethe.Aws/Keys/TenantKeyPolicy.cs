using System.Text.Json.Nodes;
using Lethe.Catalog;

namespace Lethe.Aws.Keys;

/// <summary>
/// Who may use a tenant key, fixed in the key's own policy when the key is created (DESIGN.md, Least privilege). Use is never
/// granted by a tag, which a caller holding <c>kms:TagResource</c> could add to any key afterwards, nor by IAM, which the policy
/// does not delegate crypto to: only this stage's function roles named here may generate and unwrap data keys, and only
/// under the tenant's own encryption context (or through S3, for the tenant's objects in Lethe's buckets). Account
/// administrators keep administration through their own IAM policies (so the key never becomes unmanageable), and only the
/// retiring roles (offboarding, key rotation) may disable the key or schedule its deletion.
/// </summary>
public sealed record TenantKeyPolicy(string AdministratorArn, IReadOnlyList<string> UserRoleArns, IReadOnlyList<string> RetiringRoleArns, IReadOnlyList<string> BucketArns, string Region)
{
    public const string AdministratorVariable = Variables.TenantKeyAdministrator;
    public const string UsersVariable = Variables.TenantKeyUsers;
    public const string ObjectUsersVariable = Variables.TenantKeyObjectUsers;
    public const string RetirersVariable = Variables.TenantKeyRetirers;
    public const string BucketsVariable = Variables.TenantKeyBuckets;

    /// <summary>The account moto (and the local cloud) reports; its root stands in for every principal locally.</summary>
    public const string LocalAccountRoot = "arn:aws:iam::123456789012:root";

    /// <summary>Administration only: describing, tagging, aliasing, rotation, policy and lifecycle, never a crypto operation.</summary>
    public static readonly IReadOnlyList<string> AdministratorActions =
    [
        "kms:Describe*", "kms:Get*", "kms:List*", "kms:PutKeyPolicy", "kms:EnableKeyRotation", "kms:DisableKeyRotation", "kms:TagResource",
        "kms:UntagResource", "kms:UpdateKeyDescription", "kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias", "kms:EnableKey",
        "kms:DisableKey", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
    ];

    /// <summary>The account the administrator belongs to (its ARN's fifth field): a BYOK key of another account is checked differently.</summary>
    public string Account => AdministratorArn.Split(':') is { Length: > 4 } parts ? parts[4] : string.Empty;

    public static readonly IReadOnlyList<string> DataKeyActions = ["kms:GenerateDataKey", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo"];

    /// <summary>
    /// Roles that use the key only through S3, for the tenant's objects in Lethe's buckets (the retention archive writing
    /// archived objects, a retrieval reading one back): never named where the key unwraps a subject's KEK.
    /// </summary>
    public IReadOnlyList<string> ObjectUserRoleArns { get; init; } = [];

    /// <summary>
    /// Roles that only move the tenant's wrapped keys from one tenant key to another (KMS ReEncrypt, the plaintext staying in
    /// KMS), under the tenant's own encryption context: the key rotation's rewrap step. Never a data-key user.
    /// </summary>
    public IReadOnlyList<string> RewrapperRoleArns { get; init; } = [];

    public const string RewrappersVariable = Variables.TenantKeyRewrappers;

    /// <summary>
    /// The configuration the CDK app sets on the API. Under the local cloud (nothing set) the local account stands in; outside
    /// it (<paramref name="requireConfigured"/>) a missing variable stops the API at start-up rather than create keys whose
    /// policy would hand their use to IAM.
    /// </summary>
    public static TenantKeyPolicy FromEnvironment(Func<string, string?>? lookup = null, bool requireConfigured = false)
    {
        lookup ??= Environment.GetEnvironmentVariable;
        if (requireConfigured && (string.IsNullOrWhiteSpace(lookup(AdministratorVariable)) || string.IsNullOrWhiteSpace(lookup(UsersVariable))
            || string.IsNullOrWhiteSpace(lookup(BucketsVariable))))
        {
            throw new InvalidOperationException(
                $"{AdministratorVariable}, {UsersVariable} and {BucketsVariable} must be set outside the local stage (the CDK app sets them): without the buckets no tenant key could be used through S3.");
        }

        static IReadOnlyList<string> List(string? text) =>
            (text ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var administrator = lookup(AdministratorVariable) is { Length: > 0 } admin ? admin : LocalAccountRoot;
        var users = List(lookup(UsersVariable));
        return new TenantKeyPolicy(
            administrator,
            users.Count > 0 ? users : [administrator],
            List(lookup(RetirersVariable)),
            List(lookup(BucketsVariable)),
            lookup("AWS_REGION") is { Length: > 0 } region ? region : "us-east-1")
        {
            ObjectUserRoleArns = List(lookup(ObjectUsersVariable)),
            RewrapperRoleArns = List(lookup(RewrappersVariable)),
        };
    }

    /// <summary>The key policy document of <paramref name="tenantId"/>'s key.</summary>
    public string DocumentFor(string tenantId)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        var statements = new JsonArray(
            Statement("KeyAdministrationByAccountAdministrators", [AdministratorArn], AdministratorActions, null),
            Statement("TenantDataKeysForLetheFunctions", UserRoleArns, DataKeyActions,
                new JsonObject { ["StringEquals"] = new JsonObject { ["kms:EncryptionContext:tenant"] = tenantId } }),
            Statement("DescribeAndNameTheKey", UserRoleArns, ["kms:DescribeKey", "kms:CreateAlias", "kms:EnableKeyRotation"], null));
        if (BucketArns.Count > 0)
        {
            statements.Add((JsonNode)Statement("TenantObjectsThroughS3", [.. UserRoleArns, .. ObjectUserRoleArns.Except(UserRoleArns)], ["kms:GenerateDataKey", "kms:Decrypt"], new JsonObject
            {
                ["StringEquals"] = new JsonObject { ["kms:ViaService"] = $"s3.{Region}.amazonaws.com" },
                // With S3 Bucket Keys the context is the bucket; without, the object under the tenant's prefix.
                ["StringLike"] = new JsonObject
                {
                    ["kms:EncryptionContext:aws:s3:arn"] = new JsonArray([.. BucketArns.SelectMany(b => new[] { b, $"{b}/{tenantId}/*" }).Select(v => (JsonNode)v!)]),
                },
            }));
        }

        if (RewrapperRoleArns.Count > 0)
        {
            statements.Add((JsonNode)Statement("RewrapWrappedKeysUnderTheTenantsContext", RewrapperRoleArns, ["kms:ReEncryptFrom", "kms:ReEncryptTo"],
                new JsonObject { ["StringEquals"] = new JsonObject { ["kms:EncryptionContext:tenant"] = tenantId } }));
        }

        if (RetiringRoleArns.Count > 0)
        {
            // DescribeKey: a retirer's replayed step finds the key pending deletion already, and is done.
            statements.Add((JsonNode)Statement("RetireOnlyByOffboardingAndRotation", RetiringRoleArns, ["kms:DisableKey", "kms:ScheduleKeyDeletion", "kms:DescribeKey"], null));
        }

        return new JsonObject { ["Version"] = "2012-10-17", ["Id"] = $"lethe-tenant-key-{tenantId}", ["Statement"] = statements }.ToJsonString();
    }

    private static JsonObject Statement(string sid, IReadOnlyList<string> principals, IReadOnlyList<string> actions, JsonObject? condition)
    {
        var statement = new JsonObject
        {
            ["Sid"] = sid,
            ["Effect"] = "Allow",
            ["Principal"] = new JsonObject { ["AWS"] = new JsonArray([.. principals.Select(p => (JsonNode)p!)]) },
            ["Action"] = new JsonArray([.. actions.Select(a => (JsonNode)a!)]),
            ["Resource"] = "*",
        };
        if (condition is not null)
        {
            statement["Condition"] = condition;
        }

        return statement;
    }
}
