using System.Text;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Sluice.Core.Configuration.Internal;

/// <summary>
/// Reads the config text into YamlDotNet's node model (every node keeps its line and column),
/// turning every way that can fail into a <see cref="ConfigException"/>.
/// </summary>
/// <remarks>
/// A first pass over the parser's events finds what the node model reports badly or not at all:
/// duplicate keys (the node model names neither the path nor the first occurrence), a second
/// document, and scanner failures that escape as a bare InvalidOperationException (an unclosed
/// <c>[</c> in YamlDotNet 16.3). The same pass bounds the document (<see cref="ConfigLimits"/>): how deep it
/// nests and how many values its aliases stand for, counted from the events before any alias is expanded.
/// </remarks>
internal static class YamlDocumentReader
{
    /// <summary>The root mapping, or null when the file holds no document or only an empty one.</summary>
    public static YamlMappingNode? Read(string yaml, ConfigContext context)
    {
        if (yaml.Length > ConfigLimits.MaxFileBytes || Encoding.UTF8.GetByteCount(yaml) > ConfigLimits.MaxFileBytes)
        {
            throw TooLarge(context.File);
        }

        CheckEvents(yaml, context);

        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw YamlSyntaxErrors.Translate(e, yaml, context);
        }

        if (stream.Documents.Count == 0)
        {
            return null;
        }

        return stream.Documents[0].RootNode switch
        {
            YamlMappingNode mapping => mapping,
            YamlScalarNode scalar when ConfigSection.IsNull(scalar) => null,
            var other => throw new ConfigException(
                context.At(other.Start, ""),
                $"the file must be a mapping of keys (version, state, server, connections, syncs), not {ConfigSection.Describe(other)}",
                "start from the complete example in docs/config.md"),
        };
    }

    /// <summary>The file is larger than <see cref="ConfigLimits.MaxFileBytes"/>.</summary>
    public static ConfigException TooLarge(string file) =>
        new(
            new ConfigLocation(file, 0, 0, ""),
            $"the file is larger than {ConfigLimits.MaxFileBytes / (1024 * 1024)} MB, the most a config file may be",
            "a Sluice config is a few kilobytes; check that --config names the right file");

    private static void CheckEvents(string yaml, ConfigContext context)
    {
        var parser = new Parser(new StringReader(yaml));
        var frames = new Stack<Frame>();
        var anchors = new Dictionary<string, long>(StringComparer.Ordinal);
        var expanded = 0L;
        var documents = 0;
        var lastGood = Mark.Empty;
        while (true)
        {
            try
            {
                if (!parser.MoveNext())
                {
                    return;
                }
            }
            catch (YamlException e)
            {
                throw YamlSyntaxErrors.Translate(e, yaml, context);
            }
            catch (InvalidOperationException)
            {
                throw new ConfigException(
                    context.At(lastGood, ""),
                    "invalid YAML: the file cannot be read past this point",
                    "look for an unclosed '[', '{' or quote on this line or the next");
            }

            var current = parser.Current!;
            lastGood = current.End;
            switch (current)
            {
                case DocumentStart:
                    if (++documents > 1)
                    {
                        throw new ConfigException(
                            context.At(current.Start, ""),
                            "the file holds more than one YAML document ('---'); Sluice reads exactly one",
                            "remove the '---' line and merge the documents");
                    }

                    break;
                case MappingEnd or SequenceEnd:
                    var done = frames.Pop();
                    Completed(frames, anchors, done.Anchor, done.Values);
                    break;
                case AnchorAlias alias:
                    var aliasPath = Enter(frames, alias, context);
                    // An alias stands for every value under its anchor; an anchor not (yet) defined is reported by the node model.
                    var values = anchors.GetValueOrDefault(alias.Value.Value);
                    expanded += values;
                    if (expanded > ConfigLimits.MaxAliasExpansion)
                    {
                        throw new ConfigException(
                            context.At(alias.Start, aliasPath),
                            $"aliases ('*name') expand to more than {ConfigLimits.MaxAliasExpansion:N0} values; a config file may not expand beyond that",
                            "write the repeated settings out, or alias smaller parts");
                    }

                    Completed(frames, anchors, AnchorName.Empty, values);
                    break;
                case NodeEvent node:
                    var path = Enter(frames, node, context);
                    if (node is MappingStart or SequenceStart)
                    {
                        frames.Push(new Frame(path, isMapping: node is MappingStart, node.Anchor));
                        if (frames.Count > ConfigLimits.MaxDepth)
                        {
                            throw new ConfigException(
                                context.At(node.Start, path),
                                $"mappings and lists nest more than {ConfigLimits.MaxDepth} levels deep; a config file may nest at most {ConfigLimits.MaxDepth} levels",
                                "flatten the structure; a Sluice config nests a handful of levels");
                        }
                    }
                    else
                    {
                        Completed(frames, anchors, node.Anchor, 1);
                    }

                    break;
            }
        }
    }

    /// <summary>A node of <paramref name="values"/> values (itself and everything under it, aliases expanded) is complete.</summary>
    private static void Completed(Stack<Frame> frames, Dictionary<string, long> anchors, AnchorName anchor, long values)
    {
        if (!anchor.IsEmpty)
        {
            anchors[anchor.Value] = values;
        }

        if (frames.TryPeek(out var parent))
        {
            parent.Values += values;
        }
    }

    /// <summary>Accounts for a node inside its parent; returns the node's key path.</summary>
    private static string Enter(Stack<Frame> frames, ParsingEvent node, ConfigContext context)
    {
        if (!frames.TryPeek(out var parent))
        {
            return "";
        }

        if (!parent.IsMapping)
        {
            return $"{parent.Path}[{parent.Index++}]";
        }

        if (parent.ExpectingKey)
        {
            parent.ExpectingKey = false;
            if (node is Scalar key)
            {
                var path = ConfigSection.Join(parent.Path, key.Value);
                if (!parent.Seen.TryAdd(key.Value, key.Start))
                {
                    throw new ConfigException(
                        context.At(key.Start, path),
                        $"duplicate key '{key.Value}' (it is already set at line {parent.Seen[key.Value].Line})",
                        "keep one of the two");
                }

                parent.CurrentKey = key.Value;
            }
            else
            {
                parent.CurrentKey = "?";
            }

            return parent.Path;
        }

        parent.ExpectingKey = true;
        return ConfigSection.Join(parent.Path, parent.CurrentKey);
    }

    private sealed class Frame(string path, bool isMapping, AnchorName anchor)
    {
        public AnchorName Anchor { get; } = anchor;

        /// <summary>The values of this node so far: itself, its children, and what their aliases stand for.</summary>
        public long Values { get; set; } = 1;

        public string Path { get; } = path;

        public bool IsMapping { get; } = isMapping;

        public Dictionary<string, Mark> Seen { get; } = new(StringComparer.Ordinal);

        public bool ExpectingKey { get; set; } = true;

        public string CurrentKey { get; set; } = "";

        public int Index { get; set; }
    }
}
