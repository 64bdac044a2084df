using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Lethe.Api.Auth;

/// <summary>
/// The local dev issuer's key: 256 random bits in <c>.lethe/dev-jwt.key</c> (git-ignored, mode 600), created on first use.
/// <c>./lethe token</c> signs with it and a local <c>up</c> validates with it. Never used outside the local stage.
/// </summary>
public static class DevSigningKey
{
    public const string Issuer = "lethe-local";
    public const string Audience = "lethe-api";
    public const string KeyId = "lethe-local-dev";

    public static string DefaultPath(string repositoryRoot) => Path.Combine(repositoryRoot, ".lethe", "dev-jwt.key");

    public static SymmetricSecurityKey LoadOrCreate(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes;
        if (File.Exists(path))
        {
            bytes = Convert.FromBase64String(File.ReadAllText(path).Trim());
            if (bytes.Length < 32)
            {
                throw new InvalidOperationException($"The dev signing key in {path} is shorter than 256 bits; delete it to get a new one.");
            }
        }
        else
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            bytes = RandomNumberGenerator.GetBytes(32);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            try
            {
                using var writer = new StreamWriter(path, System.Text.Encoding.ASCII, options);
                writer.Write(Convert.ToBase64String(bytes));
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process created it first: use theirs.
                return LoadOrCreate(path);
            }
        }

        return new SymmetricSecurityKey(bytes) { KeyId = KeyId };
    }

    /// <summary>A token with the claims of API.md: <c>sub</c>, <c>tenant</c>, <c>roles</c>.</summary>
    public static string IssueToken(SymmetricSecurityKey key, string tenant, IReadOnlyList<string> roles, string subject, TimeSpan lifetime, DateTimeOffset now)
    {
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + lifetime).UtcDateTime,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
            Claims = new Dictionary<string, object>
            {
                ["sub"] = subject,
                ["tenant"] = tenant,
                ["roles"] = roles.ToArray(),
            },
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }
}
