export default async function echo(params) {
  return params;
}
