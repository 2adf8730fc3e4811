// An absolute path starts at a "/" that is neither part of a URL ("gs://b/x",
// "http://h/p": the "/" follows a "/" or a word character) nor a relative key
// ("Games/<id>/X.mp4"); "file:/abs" is a path all the same.
const ABSOLUTE_PATH = /(?<![\w/.-])\/(?!\/)[^\s"'`()<>,;[\]{}]*/g;

/**
 * Error text for a client, without the server's absolute paths: a plays file
 * or temp folder tells a caller how the machine is laid out, which is not
 * theirs to know. The file name stays, so the message still says which file.
 */
export function redactPaths(message: string): string {
  return message.replace(ABSOLUTE_PATH, (path) => {
    const name = path.replace(/\/+$/, "").split("/").pop() ?? "";
    return name === "" ? "…/" : `…/${name}`;
  });
}
